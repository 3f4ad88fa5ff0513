"""Owns the published CSS and what the theme ships that we don't load.

After every language is built: drop Material's JavaScript (bundle, search worker, lunr) and
source maps, prune Material's CSS to the selectors our HTML and scripts use (PurgeCSS from
node_modules, installed by scripts/setup), merge it with docs/assets/site.css into one file
named by its content hash, and point every page at it. One render-blocking request, and a
returning reader never keeps a stale pruned stylesheet.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import rcssmin

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger

from . import build

log = get_plugin_logger("assets")
PURGECSS = Path("node_modules") / ".bin" / "purgecss"  # under the project folder
MATERIAL_CSS = re.compile(r'(<link rel="stylesheet" href="[^"]*?assets/stylesheets/)main\.[0-9a-f]+\.min\.css(">)')
OUR_CSS = re.compile(r'\s*<link rel="stylesheet" href="[^"]*?assets/site\.css">')
# Classes only our scripts add (PurgeCSS also reads docs/assets/*.js, this is belt and braces).
SAFELIST = ["js", "no-js"]


def remove_unused_theme_files(site: Path, config) -> None:
    shutil.rmtree(site / "assets" / "javascripts", ignore_errors=True)
    for path in (site / "assets" / "stylesheets").glob("*.map"):
        path.unlink()
    for path in (site / "assets" / "stylesheets").glob("palette.*.css"):
        if not config.theme.get("palette"):
            path.unlink()
    favicon = site / "assets" / "images" / "favicon.png"
    if favicon.is_file() and config.theme.get("favicon") != "assets/images/favicon.png":
        favicon.unlink()
        if not any(favicon.parent.iterdir()):
            favicon.parent.rmdir()


def purge(css: Path, site: Path, project: Path) -> str | None:
    """Material's CSS cut to what the built pages and scripts use; None if PurgeCSS can't run."""
    purgecss = project / PURGECSS
    if not purgecss.exists():
        log.warning(f"{PURGECSS} is missing (run scripts/setup): "
                    "the published CSS is NOT pruned and pages exceed their byte budget")
        return None
    cmd = [str(purgecss), "--css", str(css),
           "--content", f"{site}/**/*.html", f"{site}/assets/**/*.js",
           "--variables", "--keyframes", "--font-face", "--safelist", *SAFELIST]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
        return json.loads(done.stdout)[0]["css"]
    except (OSError, subprocess.SubprocessError, ValueError, LookupError) as error:
        detail = getattr(error, "stderr", "") or error
        log.warning(f"PurgeCSS failed, the published CSS is NOT pruned: {detail}")
        return None


def minify_css(css: str) -> str:
    """Our own CSS minified by rcssmin (Material's is minified already)."""
    return rcssmin.cssmin(css).strip() + "\n"


def bundle_css(site: Path, config) -> None:
    material = sorted((site / "assets" / "stylesheets").glob("main.*.min.css"))
    ours = site / "assets" / "site.css"
    if not material or not ours.is_file():
        log.warning("Material's main CSS or assets/site.css is missing: CSS left as built")
        return
    pruned = purge(material[0], site, build.project_dir(config))
    css = (pruned if pruned is not None else material[0].read_text(encoding="utf-8"))
    css = css.rstrip() + "\n" + minify_css(ours.read_text(encoding="utf-8"))
    forms = site / "assets" / "forms.css"  # the forms' styles (forms.py), in the same file
    if forms.is_file():
        css += minify_css(forms.read_text(encoding="utf-8"))
        forms.unlink()
    digest = hashlib.sha256(css.encode()).hexdigest()[:10]
    name = f"site.{digest}.css"
    (site / "assets" / "stylesheets" / name).write_text(css, encoding="utf-8")
    material[0].unlink()
    ours.unlink()  # merged above; pages load only the fingerprinted file
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        # The merged file's name is known only now, after every page is written: the link
        # Material's `styles` block made is rewritten (a patch that must match: checked below).
        new, found = MATERIAL_CSS.subn(lambda m: m.group(1) + name + m.group(2), text)
        if not found:
            # Every page links Material's stylesheet: if none matched, its markup changed.
            raise PluginError(f"{page.relative_to(site)} has no link to Material's main CSS in the form "
                              "ehsaas_site/assets.py expects (MATERIAL_CSS): update the pattern")
        page.write_text(OUR_CSS.sub("", new), encoding="utf-8")


@event_priority(-300)
def on_post_build(config):
    if not build.is_final_post_build(config):
        return
    site = Path(config.site_dir)
    remove_unused_theme_files(site, config)
    bundle_css(site, config)
