"""MkDocs hook: the pages generated from the catalog. The logic lives in zoo.site.hook."""

from zoo.site.hook import on_config, on_files, on_page_content, on_page_context, on_post_page

__all__ = ["on_config", "on_files", "on_page_content", "on_page_context", "on_post_page"]
