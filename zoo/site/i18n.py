"""The interface's words in English and Chinese: one table, keyed by the English text.

Templates, the hook and the explorer's script print UI strings through :func:`translator`, so a
page renders in the language of the MkDocs configuration building it (``theme.language``: ``en``
for ``site/mkdocs.yml``, ``zh`` for ``site/mkdocs.zh.yml``). Catalog content (titles, authors,
descriptions, benchmark reports) stays as written: on Chinese pages it carries ``lang="en"``.
A string missing from :data:`ZH` fails the Chinese build rather than showing English silently.
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "zh")

# "{name}" placeholders are filled by the caller (Python's str.format or the explorer's script).
ZH: dict[str, str] = {
    # page titles and headings
    "Categories": "分类",
    "Venues": "会议与期刊",
    "Years": "年份",
    "Papers of {year}": "{year} 年的论文",
    "Benchmarks": "基准测试",
    "Zoo API reference": "Zoo API 参考",
    "Links": "链接",
    "More links": "更多链接",
    "Code": "代码",
    "Zoo implementation": "Zoo 实现",
    "Zoo implementations": "Zoo 实现",
    "BibTeX": "BibTeX",
    "Related papers": "相关论文",
    "Papers": "论文",
    "Note": "备注",
    "About the method": "方法说明",
    # paper pages
    "No link recorded yet.": "尚未记录链接。",
    "Add one": "补充一个",
    "official": "官方",
    "third-party": "第三方",
    "API docs": "API 文档",
    "source": "源码",
    "Edit this entry": "编辑此条目",
    "Entry": "条目",
    "added": "收录于",
    "code": "代码",
    "zoo": "zoo",
    "Oral": "口头报告",
    "Spotlight": "亮点报告",
    "Poster": "海报",
    # listing pages
    "Category": "分类",
    "Also known as": "又称",
    "{n} papers": "{n} 篇论文",
    "open in the explorer": "在论文浏览器中打开",
    "Conferences, journals and preprint servers of the {n} papers.":
        "{n} 篇论文所在的会议、期刊与预印本平台。",
    "Venue": "会议",
    "Full name": "全称",
    "Year": "年份",
    "Papers by year of publication, newest first.": "按发表年份排列的论文，最新的在前。",
    "also written": "亦写作",
    "Method": "方法",
    "Name": "名称",
    "Import": "导入",
    "Paper": "论文",
    "No implementation is registered yet.": "尚未注册任何实现。",
    "Implements": "实现",
    "category": "分类",
    "line": "行",
    # the home page's figures
    "papers": "篇论文",
    "with code": "篇有代码",
    "implemented in the zoo ({n} methods)": "篇在 zoo 中有实现（{n} 个方法）",
    "venues": "个会议与期刊",
    "years": "个年份",
    # the explorer's controls (blocks/explorer.html)
    "Filter papers": "筛选论文",
    "Text": "文本",
    "Title, author, venue, id…": "标题、作者、会议、id…",
    "All categories": "全部分类",
    "Subcategory": "子分类",
    "All subcategories": "全部子分类",
    "From": "起始年份",
    "To": "截止年份",
    "All venues": "全部会议",
    "Has code": "有代码",
    "In the zoo": "zoo 中有实现",
    "Reset": "重置",
    "Stars: the GitHub stars of each paper's most-starred code repository (from "
    "aladin enrich), flagged when it is archived or has had no push for two years; papers "
    "without data sort as 0 stars.":
        "星标：每篇论文星标最多的代码仓库在 GitHub 上的星标数（来自 aladin enrich），仓库已归档或"
        "两年无推送时会标注；没有数据的论文按 0 星排序。",
    "Loading {n} papers…": "正在加载 {n} 篇论文…",
    "Link to this view": "本视图的链接",
    "Title": "标题",
    "Added": "收录日期",
    "Pages": "分页",
    "‹ Previous": "‹ 上一页",
    "Next ›": "下一页 ›",
    "The explorer needs JavaScript. Without it, browse by":
        "论文浏览器需要 JavaScript。没有它时，可按",
    "paper": "篇论文",
    "or": "或",
    "venue": "会议",
    "year": "年份",
    ", or download": " 浏览，或下载",
    # ... and the strings its script prints (zoo/site/hook.py hands them over in the config)
    "GitHub stars of the paper's most-starred repository (no data counts as 0)":
        "论文星标最多的仓库的 GitHub 星标数（无数据记为 0）",
    "Stars": "星标",
    "{total} papers": "{total} 篇论文",
    "{found} of {total} papers": "{found} / {total} 篇论文",
    "{first}–{last} of {found} · page {page} of {pages}":
        "第 {first}–{last} 篇，共 {found} 篇 · 第 {page} / {pages} 页",
    "No paper matches these filters.": "没有符合这些条件的论文。",
    "Could not load the papers ({error}).": "无法加载论文（{error}）。",
    "et al.": "等",
    "oral": "口头报告",
    "needs review": "待审核",
    "Needs review": "待审核",
    "Placed by a keyword rule, not by a list heading: a maintainer should confirm the category":
        "按关键词规则而非列表标题归类：需要维护者确认分类",
    "A maintainer should confirm the category and remove the review field.":
        "请维护者确认分类，并删除 review 字段。",
    "Imported from": "导入自",
    "commit": "提交",
    # the Benchmarks page's language-model part (templates/benchmarks_language.html)
    "Language models": "语言模型",
    "The language-model runs": "语言模型的运行",
    "Language-model targets": "语言模型的目标",
    "Quantisation": "量化",
    "Pruning and distillation": "剪枝与蒸馏",
    "One-shot sparsity": "一次性稀疏化",
    "Structured pruning": "结构化剪枝",
    "Distillation": "蒸馏",
    "Reproduce the language-model benchmarks": "复现语言模型基准测试",
    "Met": "已达成",
    "Missed": "未达成",
    "Results file": "结果文件",
    "Caveat recorded with the results": "结果中记录的注意事项",
    "Recipe": "训练方案",
    "Model size": "模型规模",
    "Tokens": "词元数",
    "Training": "训练时间",
    "Unigram perplexity": "一元语法困惑度",
    "Calibration": "校准",
    "Threads": "线程数",
    "Activation levels": "激活量化级数",
    "Load average": "平均负载",
    "Duration": "耗时",
    "Runs": "各次运行",
    "Python": "Python",
    "PyTorch": "PyTorch",
    "Recorded command": "记录的命令",
    "Model": "模型",
    "Kind": "类型",
    "Bits / group": "位宽 / 分组",
    "Perplexity": "困惑度",
    "vs fp32": "相对 fp32",
    "vs peer": "相对同类库",
    "vs dense": "相对稠密模型",
    "vs alone": "相对单独训练",
    "Packed Linear KiB": "打包后 Linear KiB",
    "Quantise s": "量化耗时 s",
    "Forward ms": "前向 ms",
    "Generate ms": "生成 ms",
    "Sparsity": "稀疏度",
    "File KiB": "文件 KiB",
    "Prune s": "剪枝耗时 s",
    "Ratio": "比例",
    "Params k": "参数量 k",
    "Perplexity before": "恢复前困惑度",
    "Perplexity after": "恢复后困惑度",
    "Forward time −": "前向时间减少",
    "Recovery s": "恢复训练 s",
    "Setting": "设置",
    "Train s": "训练 s",
    "No language-model quantisation results are committed yet.": "尚未提交语言模型量化结果。",
    "No language-model pruning or distillation results are committed yet.":
        "尚未提交语言模型剪枝与蒸馏结果。",
    "Run {command} with the llm extras installed, commit {file} and rebuild the site.":
        "安装 llm 附加依赖后运行 {command}，提交 {file} 并重新构建网站。",
}

# What the explorer's script prints, looked up by their English text in ``config.text``.
EXPLORER_STRINGS = (
    "GitHub stars of the paper's most-starred repository (no data counts as 0)", "Stars",
    "{total} papers", "{found} of {total} papers",
    "{first}–{last} of {found} · page {page} of {pages}", "No paper matches these filters.",
    "Could not load the papers ({error}).", "et al.", "oral", "code", "zoo", "needs review",
)


def translator(lang: str) -> Callable[..., str]:
    """``t(text, **values)``: ``text`` in ``lang``, placeholders filled from ``values``."""
    if lang not in LANGUAGES:
        raise ValueError(f"no interface translation for language {lang!r} "
                         f"(known: {', '.join(LANGUAGES)})")
    table = ZH if lang == "zh" else {}

    def t(text: str, **values: object) -> str:
        if lang != "en" and text not in table:
            raise KeyError(f"zoo/site/i18n.py: no {lang} translation of {text!r}")
        out = table.get(text, text)
        return out.format(**values) if values else out

    return t
