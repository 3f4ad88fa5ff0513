"""Owns the OpenAPI 3 document of the public API (served at /api/v1/openapi.json).

Enumerations come from data/ (languages, components) and length limits from the running app's
configuration, so the document cannot drift from what validation accepts; tests check every
response they see against this document, and schemathesis fuzzes the app from it.
"""
from __future__ import annotations

import functools

from . import forms, i18n, references, validation

VERSION = "1.0.0"
PAGE_PATTERN = validation.PAGE_PATTERN


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema_name: str) -> dict:
    return {"application/json": {"schema": _ref(schema_name)}}


def _error(description: str, html: bool = True) -> dict:
    content = _json("Error")
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


HTML = {"text/html": {"schema": {"type": "string"}}}
RATE_LIMITED = {
    "description": "Too many requests from this client; wait Retry-After seconds.",
    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1},
                                "description": "Seconds to wait before trying again."}},
    "content": {**_json("Error"), **HTML},
}
STORAGE_UNAVAILABLE = {
    "description": "Nothing was stored: the database is busy (another process holds its write "
                   "lock: `storage_busy`) or cannot be written (disk full, read-only, I/O errors: "
                   "`storage_unavailable`). Send again after Retry-After seconds; a form post gets "
                   "the form again, filled in.",
    "headers": RATE_LIMITED["headers"],
    "content": {**_json("Error"), **HTML},
}
REDIRECT = {"description": "Redirect (see Location).",
            "headers": {"Location": {"schema": {"type": "string"}}}}


def _text(max_chars: int, description: str, pattern: str = validation.ONE_LINE_PATTERN) -> dict:
    return {"type": "string", "nullable": True, "maxLength": max_chars, "pattern": pattern,
            "description": description}


def _form_variant(schema):
    """The same fields as an HTML form sends them: text only, no null, no JSON booleans."""
    if isinstance(schema, list):
        return [_form_variant(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "anyOf" in schema:
        texts = [alt for alt in schema["anyOf"] if alt.get("type") == "string"]
        return _form_variant(texts[0])
    if "enum" in schema:
        schema = {**schema, "enum": [v for v in schema["enum"] if v is not None]}
    return {key: _form_variant(value) for key, value in schema.items() if key != "nullable"}


def document(limits: dict | None = None) -> dict:
    """The document for these length limits (config keys; default: the running app's, outside
    an app the schema's defaults). Built once per set of limits."""
    limits = limits or forms.limits()
    return _cached(tuple(sorted(limits.items())))


@functools.cache
def _cached(limits: tuple) -> dict:
    doc = _document(dict(limits))
    schemas = doc["components"]["schemas"]
    schemas["SubmissionForm"] = _form_variant(schemas["SubmissionRequest"])
    schemas["RatingForm"] = _form_variant(schemas["RatingRequest"])
    from . import feed  # the public feed documents its own path and schemas
    doc["paths"].update(feed.openapi_paths())
    schemas.update(feed.openapi_schemas())
    from .sms import routes as sms_routes  # Kannel's routes document themselves too
    doc["paths"].update(sms_routes.openapi_paths())
    doc["components"]["securitySchemes"] = sms_routes.openapi_security_schemes()
    return doc


def _document(limits: dict) -> dict:
    languages = list(i18n.languages())
    components = [*i18n.components(), "general"]
    words = sorted(validation.TRUE_WORDS | validation.FALSE_WORDS)
    # A required yes/no: "" does not answer it.
    boolean_or_word = {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": [w for w in words if w]}]}
    optional_boolean = {"anyOf": [{"type": "boolean", "nullable": True}, {"type": "string", "enum": words}]}
    reference_param = {"name": "reference", "in": "path", "required": True,
                       "description": "A reference as given (any case; dashes and spaces optional).",
                       "schema": {"type": "string", "maxLength": 64}}
    lang_param = {"name": "lang", "in": "query", "required": False,
                  "description": "Language of an HTML answer: " + ", ".join(languages) +
                                 ". Any other value falls back to the browser's language.",
                  "schema": {"type": "string"}}
    submission_body = {
        "content": {
            "application/json": {"schema": _ref("SubmissionRequest")},
            "application/x-www-form-urlencoded": {"schema": _ref("SubmissionForm")},
        },
        "required": True,
    }
    rating_body = {
        "content": {
            "application/json": {"schema": _ref("RatingRequest")},
            "application/x-www-form-urlencoded": {"schema": _ref("RatingForm")},
        },
        "required": True,
    }
    common_write_errors = {
        "400": _error("Invalid fields (`error.fields` names each) or an unreadable body "
                      "(malformed JSON, invalid UTF-8). A form post gets the form again, filled in."),
        "413": _error("The body is larger than the limit."),
        "415": _error("Not application/json or application/x-www-form-urlencoded (UTF-8)."),
        "429": RATE_LIMITED,
        "500": _error("Unexpected failure: nothing was stored; try again later."),
        "503": STORAGE_UNAVAILABLE,
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Ehsaas community outreach: feedback service",
            "version": VERSION,
            "description": "Questions, feedback and page ratings from the public, and the status "
                           "of a submission by its reference. Write routes and lookups are rate "
                           "limited per client.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/submissions": {
                "post": {
                    "operationId": "createSubmission",
                    "summary": "Send a question, complaint, suggestion, feedback or thanks.",
                    "requestBody": submission_body,
                    "responses": {
                        "201": {"description": "Stored. Keep the reference.",
                                "headers": {"Location": {"schema": {"type": "string"}}},
                                "content": _json("SubmissionAck")},
                        "200": {"description": "The same message from the same client within a few "
                                               "minutes: stored once, the first reference again.",
                                "content": _json("SubmissionAck")},
                        "303": {**REDIRECT, "description": "Form post: to the confirmation page."},
                        **common_write_errors,
                    },
                },
                "get": {
                    "operationId": "lookupSubmission",
                    "summary": "The check page's GET form: redirects to the submission's canonical URL.",
                    "parameters": [
                        {"name": "reference", "in": "query", "required": True,
                         "schema": {"type": "string", "maxLength": 64}},
                        lang_param,
                    ],
                    "responses": {
                        "303": {**REDIRECT, "description": "To /api/v1/submissions/{reference}."},
                        "400": _error("Not a valid reference (wrong length or check character)."),
                        "429": RATE_LIMITED,
                    },
                },
            },
            "/api/v1/submissions/{reference}": {
                "get": {
                    "operationId": "getSubmissionStatus",
                    "summary": "Public status of a submission and any published answer.",
                    "description": "JSON by default; HTML when the client prefers text/html.",
                    "parameters": [reference_param, lang_param],
                    "responses": {
                        "200": {"description": "The public status.",
                                "content": {**_json("SubmissionStatus"), **HTML}},
                        "301": {**REDIRECT, "description": "To the canonical form of the reference."},
                        "400": _error("Not a valid reference (wrong length or check character)."),
                        "404": _error("No submission has this reference."),
                        "429": RATE_LIMITED,
                    },
                },
            },
            "/api/v1/submissions/{reference}/received": {
                "get": {
                    "operationId": "getSubmissionConfirmation",
                    "summary": "The confirmation page a form post lands on (HTML).",
                    "parameters": [reference_param, lang_param],
                    "responses": {
                        "200": {"description": "Confirmation showing the reference.", "content": HTML},
                        "404": {"description": "Unknown reference.", "content": HTML},
                        "429": RATE_LIMITED,
                    },
                },
            },
            "/api/v1/form": {
                "get": {
                    "operationId": "getFeedbackForm",
                    "summary": "The feedback form as a page (HTML).",
                    "parameters": [lang_param,
                                   {"name": "page", "in": "query", "schema": {"type": "string"}},
                                   {"name": "kind", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "The form.", "content": HTML}},
                },
            },
            "/api/v1/ratings": {
                "post": {
                    "operationId": "createRating",
                    "summary": "\"Was this page helpful?\"",
                    "requestBody": rating_body,
                    "responses": {
                        "201": {"description": "Recorded.", "content": _json("RatingAck")},
                        "303": {**REDIRECT, "description": "Form post: to the thank-you page."},
                        **common_write_errors,
                    },
                },
            },
            "/api/v1/ratings/thanks": {
                "get": {
                    "operationId": "getRatingThanks",
                    "summary": "Thank-you page after a rating form post (HTML).",
                    "parameters": [lang_param, {"name": "page", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "Thank you.", "content": HTML}},
                },
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document.",
                    "responses": {"200": {"description": "OpenAPI 3 document.",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}},
                },
            },
            "/livez": {
                "get": {
                    "operationId": "getLiveness",
                    "summary": "The process answers (no database check).",
                    "responses": {"200": {"description": "Alive.",
                                          "content": {"text/plain": {"schema": {"type": "string"}}}}},
                },
            },
            "/healthz": {
                "get": {
                    "operationId": "getHealth",
                    "summary": "Liveness and a database check.",
                    "responses": {
                        "200": {"description": "Healthy.", "content": _json("Health")},
                        "503": {"description": "The database cannot be read or written ("
                                               "`database`: busy, not writable, disk full, error) "
                                               "or needs migrating.",
                                "content": _json("Health")},
                    },
                },
            },
        },
        "components": {
            "schemas": {
                "SubmissionRequest": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "kind": {"type": "string", "nullable": True, "enum": [*validation.KINDS, None],
                                 "default": "feedback"},
                        "message": {"type": "string", "minLength": 1,
                                    "maxLength": limits["MESSAGE_MAX_CHARS"],
                                    "pattern": validation.MESSAGE_PATTERN,
                                    "description": "Required; control characters other than line "
                                                   "breaks and tabs are refused; direction overrides "
                                                   "are removed."},
                        "language": {"type": "string", "nullable": True, "enum": [*languages, None],
                                     "description": "Default: the browser's preferred site language."},
                        "component": {"type": "string", "nullable": True, "enum": [*components, None],
                                      "default": "general"},
                        "page": {"type": "string", "nullable": True, "maxLength": limits["PAGE_MAX_CHARS"],
                                 "pattern": PAGE_PATTERN, "description": "Site path the form was on."},
                        "district": _text(limits["DISTRICT_MAX_CHARS"], "District, free text."),
                        "name": _text(limits["NAME_MAX_CHARS"], "Personal data: stored apart, never published."),
                        "contact": _text(limits["CONTACT_MAX_CHARS"], "Phone or email; personal data."),
                        "consent_to_contact": optional_boolean,
                        "submission_key": {
                            "type": "string", "nullable": True, "pattern": validation.SUBMISSION_KEY_PATTERN,
                            "description": "A random key the form got when it was shown (16-64 of "
                                           "A-Z a-z 0-9 _ -). Sending the same submission again "
                                           "with the same key answers 200 with the first "
                                           "reference; without one, only the same person's "
                                           "resend from the same address is recognised."},
                        "website": {
                                    "description": "Honeypot: people leave it empty. When filled, "
                                                   "the answer is the same but the submission is "
                                                   "kept as spam."},
                    },
                },
                "SubmissionAck": {
                    "type": "object",
                    "required": ["reference", "status", "status_url", "duplicate"],
                    "properties": {
                        "reference": {"type": "string", "pattern": references.PATTERN},
                        "status": {"type": "string", "enum": ["received"]},
                        "status_url": {"type": "string"},
                        "duplicate": {"type": "boolean"},
                    },
                },
                "SubmissionStatus": {
                    "type": "object",
                    "required": ["reference", "status", "kind", "component", "language",
                                 "received_at", "answer", "status_url"],
                    "properties": {
                        "reference": {"type": "string", "pattern": references.PATTERN},
                        "status": {"type": "string", "enum": ["received", "in_review", "answered", "closed"]},
                        "kind": {"type": "string"},
                        "component": {"type": "string"},
                        "language": {"type": "string"},
                        "received_at": {"type": "string", "format": "date-time"},
                        "status_url": {"type": "string"},
                        "answer": {
                            "type": "object", "nullable": True,
                            "required": ["body", "language", "published_at"],
                            "properties": {"body": {"type": "string"}, "language": {"type": "string"},
                                           "published_at": {"type": "string", "nullable": True}},
                        },
                    },
                },
                "RatingRequest": {
                    "type": "object",
                    "required": ["page", "helpful"],
                    "properties": {
                        "page": {"type": "string", "minLength": 1, "maxLength": limits["PAGE_MAX_CHARS"],
                                 "pattern": PAGE_PATTERN},
                        "language": {"type": "string", "nullable": True, "enum": [*languages, None]},
                        "helpful": boolean_or_word,
                        "comment": _text(limits["COMMENT_MAX_CHARS"], "Optional.", validation.MULTILINE_PATTERN),
                    },
                },
                "RatingAck": {
                    "type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": ["recorded"]}},
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string", "description": "In the request's language."},
                            "retry_after": {"type": "integer", "minimum": 1,
                                            "description": "429 and 503 only: seconds to wait (as Retry-After)."},
                            "fields": {"type": "object", "additionalProperties": {
                                "type": "object", "required": ["code", "message"],
                                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}},
                        },
                    }},
                },
                "Health": {
                    "type": "object", "required": ["status", "database"],
                    "properties": {"status": {"type": "string", "enum": ["ok", "error"]},
                                   "database": {"type": "string", "enum": [
                                       "ok", "busy", "not writable", "disk full", "error",
                                       "migrations pending"]},
                                   "schema_version": {"type": "integer"}},
                },
            },
        },
    }
