"""Serving JupyterLab's scripts as the `.gz` files written beside them at install time.

Opening JupyterLab with hubkit's extension set fetches about 160 scripts (14 MB) from two
routes: /static/lab (JupyterLab's own bundles) and /lab/extensions (the prebuilt extensions').
Compressed on the fly, they keep the server's only thread busy for about 0.5 s per page load;
`python -m hubkit_lab.precompress` compresses them once, at install, and
`PrecompressedFileFindHandler` sends those files as they are (tornado's static handler cannot).
"""
# Copyright (c) hubkit contributors.
# Distributed under the terms of the Modified BSD License.

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Iterable, Iterator

from jupyter_server.base.handlers import FileFindHandler
from tornado.routing import PathMatches, Rule, RuleRouter


class PrecompressedFileFindHandler(FileFindHandler):
    """Sends `name.gz`, written beside `name` at install time, as it is to browsers that
    accept gzip. Sends `name` itself (compressed on the fly when the server compresses its
    responses) when there is no such `.gz`, when the two differ in modification time (`name`
    changed since the install), when the `.gz` is not a regular file, and for range requests.
    """

    packed: os.stat_result | None = None  # the `.gz` being sent, if any
    content_path: str | None = None  # the file asked for, whose type is sent

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        """The `.gz` to send in place of the file asked for, when there is a current one."""
        path = super().validate_absolute_path(root, absolute_path)
        self.content_path = path
        if path is None or "Range" in self.request.headers:
            return path
        try:
            packed = os.lstat(path + ".gz")  # tornado checked `path`, not this: no link
        except OSError:
            return path
        if not stat.S_ISREG(packed.st_mode) or packed.st_mtime_ns != os.stat(path).st_mtime_ns:
            return path
        if not self.settings.get("compress_response"):  # else tornado's gzip transform adds it
            self.add_header("Vary", "Accept-Encoding")
        if "gzip" not in self.request.headers.get("Accept-Encoding", ""):
            return path
        self.packed = packed
        self.set_header("Content-Encoding", "gzip")  # tornado's gzip transform then keeps off
        return path + ".gz"

    def get_content_size(self) -> int:
        """The size sent: the `.gz`'s (tornado would give the size of the file it checked)."""
        return self.packed.st_size if self.packed else super().get_content_size()

    def get_content_type(self) -> str:
        """The type of the file, not of its `.gz`."""
        if not self.packed or self.content_path is None:
            return super().get_content_type()
        return mimetypes.guess_type(self.content_path)[0] or "application/octet-stream"


def _rules(router: RuleRouter) -> Iterator[Rule]:
    """Every rule of a tornado router, and of the routers it delegates to (host patterns)."""
    for rule in router.rules:
        if isinstance(rule.target, RuleRouter):
            yield from _rules(rule.target)
        else:
            yield rule


def replace_file_handlers(router: RuleRouter, patterns: Iterable[str]) -> list[str]:
    """Make the routes with these URL patterns that jupyter_server's FileFindHandler serves use
    PrecompressedFileFindHandler instead; the patterns of the routes changed.

    A rule's target is read at each request (tornado.routing.RuleRouter.find_handler), so
    changing it once the routes exist is enough; the route keeps its arguments (paths, caching).
    Routes served by any other class (another extension's own handler) are left alone.
    """
    wanted = {pattern.rstrip("$") for pattern in patterns}
    changed = []
    for rule in _rules(router):
        matcher = rule.matcher
        if (
            isinstance(matcher, PathMatches)
            and matcher.regex.pattern.rstrip("$") in wanted
            and rule.target is FileFindHandler
        ):
            rule.target = PrecompressedFileFindHandler
            changed.append(matcher.regex.pattern)
    return changed
