"""Owns request bodies sent without a Content-Length (Transfer-Encoding: chunked): read up to
one byte past MAX_CONTENT_LENGTH before the app sees them, so an oversized one is refused with
413 like any other, instead of being cut at the limit (a form then lost its end silently, JSON
read as "malformed"). A WSGI middleware, so every route, public or staff, gets the same rule."""
from __future__ import annotations

import io


class ChunkedBodyLimit:
    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config  # read per request: tests and operators may change the limit

    def __call__(self, environ, start_response):
        if not environ.get("CONTENT_LENGTH") and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            limit = self.config.get("MAX_CONTENT_LENGTH")
            if limit is not None:
                stream = environ["wsgi.input"]
                body, wanted = [], int(limit) + 1
                while wanted > 0:
                    chunk = stream.read(min(wanted, 65536))
                    if not chunk:
                        break
                    body.append(chunk)
                    wanted -= len(chunk)
                data = b"".join(body)
                # A length over the limit makes werkzeug answer 413 through the app's own
                # error handlers (JSON, or a page in the reader's language).
                # The server has already undone the chunking: the body is now plain bytes of a
                # known length (werkzeug ignores Content-Length while Transfer-Encoding says chunked).
                environ["wsgi.input"] = io.BytesIO(data)
                environ["CONTENT_LENGTH"] = str(len(data))
                del environ["HTTP_TRANSFER_ENCODING"]
        return self.wsgi_app(environ, start_response)
