"""The static site's build and the editors' commands: everything that turns docs/ and data/
into the published site (hooks/ are thin MkDocs adapters that call these modules), and the
commands editors run (`python -m ehsaas_site.<command>`: translations, check_content,
new_page, strings, meetings, feed)."""
