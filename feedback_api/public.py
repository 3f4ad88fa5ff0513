"""Owns the public API under /api/v1: submissions, status lookups, ratings, the OpenAPI document.

JSON clients get JSON; HTML forms (application/x-www-form-urlencoded) get 303 redirects to
pages in the submitter's language, and on an error the form again, filled in, with what to fix.
"""
from __future__ import annotations

from flask import (Blueprint, Response, current_app, jsonify, redirect, render_template,
                   request, url_for)

from . import disclosure, forms, i18n, openapi, references, resubmits, sensitive, storage, validation
from .limits import client_hash, limiter, lookups_limit, ratings_limit, submissions_limit

bp = Blueprint("public", __name__, url_prefix="/api/v1", static_folder="static",
               static_url_path="/static")


# ---------------------------------------------------------------- language and format

def requested_language(data: dict | None = None) -> str:
    """The language to answer in: the one the person chose, else ?lang=, else the browser's."""
    for candidate in ((data or {}).get("language"), request.args.get("lang")):
        if isinstance(candidate, str) and candidate in i18n.languages():
            return candidate
    return request.accept_languages.best_match(i18n.languages()) or i18n.DEFAULT_LANGUAGE


def is_form_post() -> bool:
    return request.method == "POST" and request.mimetype == validation.FORM


def wants_html() -> bool:
    """A form post, or a GET from a browser (text/html preferred over JSON)."""
    if request.method == "POST":
        return is_form_post()
    accept = request.accept_mimetypes
    return accept.best_match(["application/json", "text/html"]) == "text/html" and \
        accept["text/html"] > accept["application/json"]


def error_json(status: int, code: str, lang: str, fields: dict | None = None, **params) -> Response:
    body = {"code": code, "message": i18n.t(lang, f"errors.{code}", **params)}
    if "seconds" in params:
        body["retry_after"] = params["seconds"]
    if fields:
        body["fields"] = {name: {"code": c, "message": i18n.t(lang, f"errors.{c}")}
                          for name, c in fields.items()}
    response = jsonify({"error": body})
    response.status_code = status
    return response


def error_page(status: int, code: str, lang: str, **params) -> Response:
    html = render_template("public/error.html", lang=lang, code=code,
                           message=i18n.t(lang, f"errors.{code}", **params))
    return Response(html, status=status, mimetype="text/html")


def error_response(status: int, code: str, lang: str | None = None, **params) -> Response:
    lang = lang or requested_language()
    if wants_html():
        return error_page(status, code, lang, **params)
    return error_json(status, code, lang, **params)


def feedback_form_page(lang: str, values: dict, errors: dict, status: int, notice: str | None = None):
    form = forms.render_feedback_form(lang, values, errors, url_for("public.create_submission"))
    return Response(render_template("public/form_page.html", lang=lang, form=form, errors=errors,
                                    notice=notice), status=status, mimetype="text/html")


def rating_form_page(lang: str, values: dict, errors: dict, status: int, notice: str | None = None):
    form = forms.render_rating_form(lang, values, errors, url_for("public.create_rating"))
    return Response(render_template("public/rating_page.html", lang=lang, form=form, errors=errors,
                                    notice=notice), status=status, mimetype="text/html")


def lookup_page(lang: str, values: dict, errors: dict, status: int) -> Response:
    form = forms.render_lookup_form(lang, values, errors, url_for("public.lookup"))
    return Response(render_template("public/lookup.html", lang=lang, form=form, errors=errors,
                                    notice=None), status=status, mimetype="text/html")


def no_store(response: Response) -> Response:
    """Pages and answers about one reference: never cached by a shared proxy."""
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept")
    return response


# One budget for the three routes that look a reference up (the lookup form, the status page,
# the confirmation page): counted per route, mixing them tripled the rate of guessing.
lookup_limit = limiter.shared_limit(lookups_limit, scope="lookups")


# ---------------------------------------------------------------- submissions

def warm_up() -> None:
    """Read and index now what the first submission would otherwise read while its sender waits
    (the sensitive terms, the strings, the districts): gunicorn runs this in each worker before
    it takes a request (deploy/gunicorn.conf.py). Eight threads' first submissions each built
    them at once, which cost the first seconds after a start (benchmarks/submission_path.md)."""
    for lang in i18n.languages():
        i18n.strings(lang)
    i18n.components()
    i18n.district_lookup()
    sensitive.is_sensitive("warm up ٹھگی 1000")


@bp.post("/submissions")
@limiter.limit(submissions_limit)
def create_submission():
    try:
        data, from_form = validation.read_body(request)
    except validation.RequestError as exc:
        return error_response(exc.status, exc.code)
    cfg = current_app.config
    fallback = requested_language(data)  # the body's language when it names one: no header parsing
    clean, errors = validation.submission(data, cfg, fallback)
    lang = clean["language"] or fallback
    if errors:
        if from_form:
            return feedback_form_page(lang, validation.form_values(data), errors, 400)
        return error_json(400, "validation_failed", lang, fields=errors)

    row = {key: clean[key] for key in ("kind", "component", "language", "message", "page", "district")}
    row["sensitive"] = sensitive.is_sensitive(clean["message"])
    row["message_hash"] = validation.message_hash(clean["message"])
    row["client_hash"] = client_hash()
    row["resubmit_hash"] = resubmits.resubmit_hash(clean, row["message_hash"], row["client_hash"])
    if clean["honeypot_filled"]:
        # Same answer as a real submission (a bot learns nothing); kept, marked, never shown.
        row["status"], row["spam_reason"] = "spam", "honeypot"
    contact = None
    if clean["name"] or clean["contact"] or clean["consent_to_contact"]:
        contact = {"name": clean["name"], "contact": clean["contact"],
                   "consent_to_contact": clean["consent_to_contact"]}
    reference, created = storage.insert_submission(
        storage.get_db(), row, contact, storage.ago(cfg["DUPLICATE_WINDOW_SECONDS"]),
        references.new_reference)

    if from_form:
        return redirect(url_for("public.submission_received", reference=reference, lang=lang), 303)
    # Built by hand: url_for costs a visible share of this, the busiest route (benchmarks/).
    status_url = f"{request.script_root}{bp.url_prefix}/submissions/{reference}"
    response = jsonify({"reference": reference, "status": "received", "status_url": status_url,
                        "duplicate": not created})
    response.status_code = 201 if created else 200
    response.headers["Location"] = status_url
    return response


@bp.get("/submissions")
@lookup_limit
def lookup():
    """The static "check" page's plain GET form: normalise and redirect to the canonical URL."""
    typed = request.args.get("reference", "")
    lang = requested_language()
    reference = references.normalise(typed)
    if reference is None:
        code = "required" if not typed.strip() else "invalid_reference"
        if wants_html():
            return no_store(lookup_page(lang, {"reference": typed[:64]}, {"reference": code}, 400))
        return error_json(400, "validation_failed", lang, fields={"reference": code})
    args = {"lang": request.args["lang"]} if request.args.get("lang") in i18n.languages() else {}
    return redirect(url_for("public.submission_status", reference=reference, **args), 303)


@bp.get("/submissions/<reference>")
@lookup_limit
def submission_status(reference):
    canonical = references.normalise(reference)
    if canonical is None:
        lang = requested_language()
        if wants_html():
            return no_store(lookup_page(lang, {"reference": reference[:64]},
                                        {"reference": "invalid_reference"}, 400))
        return error_json(400, "invalid_reference", lang)
    if canonical != reference:
        args = {"lang": request.args["lang"]} if request.args.get("lang") in i18n.languages() else {}
        return redirect(url_for("public.submission_status", reference=canonical, **args), 301)
    status = storage.public_status(storage.get_db(), canonical)
    if status is None:
        return no_store(error_response(404, "not_found"))
    if status["answer"]:
        status["answer"]["body"] = disclosure.answer_for_submitter(status["answer"]["body"])
    if wants_html():
        lang = request.args.get("lang") if request.args.get("lang") in i18n.languages() else status["language"]
        lookup_form = forms.render_lookup_form(lang, {}, {}, url_for("public.lookup"))
        html = render_template("public/status.html", lang=lang, s=status, lookup_form=lookup_form,
                               languages=i18n.languages())
        return no_store(Response(html, mimetype="text/html"))
    return no_store(jsonify({**status, "status_url": url_for("public.submission_status",
                                                              reference=canonical)}))


@bp.get("/submissions/<reference>/received")
@lookup_limit
def submission_received(reference):
    """The confirmation page a form post is redirected to: shows the reference."""
    canonical = references.normalise(reference)
    language = canonical and storage.submission_language(storage.get_db(), canonical)
    if language is None:
        return no_store(error_page(404, "not_found", requested_language()))
    lang = request.args.get("lang") if request.args.get("lang") in i18n.languages() else language
    html = render_template("public/confirm.html", lang=lang, reference=canonical,
                           status_url=url_for("public.submission_status", reference=canonical, lang=lang))
    return no_store(Response(html, mimetype="text/html"))


@bp.get("/form")
def feedback_form():
    """The feedback form on its own page (in ?lang=), for browsers and for trying the service."""
    lang = requested_language()
    page, error = validation.clean_page(request.args.get("page"), current_app.config["PAGE_MAX_CHARS"])
    values = {"page": page} if page and not error else {}
    kind = request.args.get("kind")
    if kind in validation.kinds():
        values["kind"] = kind
    return feedback_form_page(lang, values, {}, 200)


# ---------------------------------------------------------------- ratings

@bp.post("/ratings")
@limiter.limit(ratings_limit)
def create_rating():
    try:
        data, from_form = validation.read_body(request)
    except validation.RequestError as exc:
        return error_response(exc.status, exc.code)
    clean, errors = validation.rating(data, current_app.config, requested_language())
    lang = clean["language"] or requested_language()
    if errors:
        if from_form:
            return rating_form_page(lang, validation.form_values(data), errors, 400)
        return error_json(400, "validation_failed", lang, fields=errors)
    storage.insert_rating(storage.get_db(), {**clean, "client_hash": client_hash()})
    if from_form:
        return redirect(url_for("public.rating_thanks", lang=lang, page=clean["page"]), 303)
    response = jsonify({"status": "recorded"})
    response.status_code = 201
    return response


@bp.get("/ratings/thanks")
def rating_thanks():
    lang = requested_language()
    page, error = validation.clean_page(request.args.get("page"), current_app.config["PAGE_MAX_CHARS"])
    back_url = site_url(page) if page and not error else None
    html = render_template("public/rating_thanks.html", lang=lang, back_url=back_url)
    return Response(html, mimetype="text/html")


# ---------------------------------------------------------------- the contract

@bp.get("/openapi.json")
def openapi_document():
    response = jsonify(openapi.document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# ---------------------------------------------------------------- links back to the site

def site_url(path: str) -> str:
    """A path of the static site (FEEDBACK_SITE_URL: "/" in one-box mode, else its origin)."""
    return current_app.config["SITE_URL"].rstrip("/") + "/" + path.lstrip("/")


def site_home(lang: str) -> str:
    return site_url("" if lang == i18n.DEFAULT_LANGUAGE else f"{lang}/")
