"""The interface's words in English and Chinese: one table, keyed by the English text.

Templates, the hook and the explorer's script print UI strings through :func:`translator`, so a
page renders in the language of the MkDocs configuration building it (``theme.language``: ``en``
for ``site/mkdocs.yml``, ``zh`` for ``site/mkdocs.zh.yml``); sentences holding markup (a
``<code>``, a link) take it through placeholders (:func:`zoo.site.render.markup_translator`).
Catalog content (titles, authors, descriptions, what benchmark result files record) stays as
written: on Chinese pages it carries ``lang="en"``.
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
    # the Benchmarks page's vision part (templates/benchmarks.html); what the result file records
    # (target texts, check names, settings, model descriptions) stays as written
    " ": "",  # between two sentences of one paragraph: Chinese sets no space after "。"
    " and ": " 和 ",
    "; ": "；",
    "n/a": "无数据",
    "{n} thread": "{n} 个线程",
    "{n} threads": "{n} 个线程",
    "{n} node": "{n} 个节点",
    "{n} nodes": "{n} 个节点",
    "{n} CPU": "{n} 个 CPU",
    "{n} CPUs": "{n} 个 CPU",
    "No vision benchmark results are committed yet. Run {command} (or {quick}: one seed, short "
    "recipes, a subset) with the zoo extra installed, commit {folder}, and rebuild the site.":
        "尚未提交视觉基准测试结果。安装 zoo 附加依赖后运行 {command}（或 {quick}：一个种子，缩短的"
        "训练方案，部分方法与模型），提交 {folder} 并重新构建网站。",
    "Every zoo method measured on the same machine in one run of {command} — accuracy over seeds, "
    "size, FLOPs and CPU latency, side by side with peer libraries at the same ratio or bit width. "
    "Nothing here is quoted from a paper.":
        "zoo 的每个方法都在同一台机器上、由 {command} 的同一次运行测得：多个种子上的准确率、模型"
        "大小、FLOPs 与 CPU 延迟，并与同类库在相同比例或位宽下并列比较。这里没有任何数字引自论文。",
    "full": "完整运行",
    "quick": "快速运行",
    "custom": "自定义运行",
    "Quick run": "快速运行",
    "Custom run": "自定义运行",
    "These figures come from {command}: {what}. A full run ({full}) measures every method over "
    "three seeds.":
        "这些数字来自 {command}：{what}。完整运行（{full}）会在三个种子上测量每个方法。",
    "one seed, short training recipes and a subset of methods and models":
        "一个种子、缩短的训练方案、部分方法与模型",
    "a run narrowed to some methods, models or seeds": "只限部分方法、模型或种子的运行",
    "Incomplete run": "未完成的运行",
    "The run was interrupted; only the models it finished are shown.":
        "这次运行被中断；这里只显示它已完成的模型。",
    "The run": "本次运行",
    "Command": "命令",
    "{command} ({mode}, {minutes} min, started {started})":
        "{command}（{mode}，{minutes} 分钟，开始于 {started}）",
    "Machine": "机器",
    "{cpu}, {n} logical CPUs, {system} ({machine})": "{cpu}，{n} 个逻辑 CPU，{system}（{machine}）",
    "; load average at start {load}": "；开始时平均负载 {load}",
    ", at the end {load}": "，结束时 {load}",
    "Versions": "版本",
    "commit {commit}": "提交 {commit}",
    " (with uncommitted changes under {folder})": "（{folder} 下有未提交的修改）",
    "unknown commit": "提交未知",
    " · results in {file}": " · 结果文件 {file}",
    "Seeds": "种子",
    "{seeds} (initialisation, shuffling and data-driven choices; the digits split is fixed: "
    "80/20, stratified, seed {seed})":
        "{seeds}（用于初始化、数据打乱和依赖数据的选择；digits 数据集的划分是固定的：80/20，分层"
        "抽样，种子 {seed}）",
    "Latency": "延迟",
    "{threads}, batch sizes {sizes}; {warmup} warm-up passes, then {rounds} interleaved rounds of "
    "{repeats} passes per model: the median of the round medians.":
        "{threads}，batch 大小 {sizes}；先预热 {warmup} 次前向传播，再对每个模型交错进行 {rounds} "
        "轮、每轮 {repeats} 次前向传播：取各轮中位数的中位数。",
    "Models are timed as deployed (BatchNorm folded into the convolutions where {fx} can); the "
    "speed-up's tooltip gives the module as trained.":
        "模型按部署时的形式计时（在 {fx} 能做到的地方把 BatchNorm 折叠进卷积）；加速比的悬停提示"
        "给出训练时形式（未折叠）的模块的加速比。",
    "Training ran on {threads}.": "训练使用 {threads}。",
    "Training ran on {threads} per task, as Ray tasks on {where} ({nodes}, {cpus} CPUs, Ray "
    "{version}; latency measured afterwards, here, in one process).":
        "训练以 Ray 任务的形式在{where}运行，每个任务使用 {threads}（{nodes}，{cpus} 个 CPU，Ray "
        "{version}；延迟随后在本机的单个进程中测量）。",
    "a cluster started on this machine": "本机上启动的集群中",
    "the cluster at {address}": " {address} 的集群中",
    "Memory allocator: {allocator}.": "内存分配器：{allocator}。",
    "Targets": "目标",
    "Reached": "已达成",
    "{method} on {model}": "{model} 上的 {method}",
    " (target {op} {limit})": "（目标 {op} {limit}）",
    "missed": "未达成",
    "context, peer {peer} ({runtime}): {checks}; {method} ÷ {peer_name} batch-64 latency "
    "{ratio}":
        "对照同类库 {peer}（{runtime}）：{checks}；batch 64 延迟 {method} ÷ {peer_name} 为 {ratio}",
    "context, {sweep}: {method} {scheme} at ratio {ratio} (FLOPs ÷{reduction}, not fine-tuned): "
    "{check} {value}":
        "对照{sweep}：{method} {scheme}，比例 {ratio}（FLOPs ÷{reduction}，未微调）："
        "{check} {value}",
    "pruning sweep": "剪枝扫描",
    "below {limit}": "低于 {limit}",
    "outside its tolerance: {row} ({points} points)": "超出容差：{row}（{points} 个百分点）",
    "failed: {method} on {model} — {error}": "失败：{model} 上的 {method} — {error}",
    "Results": "结果",
    "Click a column to sort. Peers are indented; every method links to its paper. Hover a cell "
    "for details (per-seed accuracies, tolerances, the speed-up without BatchNorm folding).":
        "点击列标题可排序。同类库的行有缩进；每个方法都链接到其论文。悬停在单元格上可查看细节（各"
        "种子的准确率、容差、不折叠 BatchNorm 时的加速比）。",
    "Two runtimes.": "两种运行时。",
    "{ms} is the model in PyTorch; {ort_ms} is the same model in {ort}, Microsoft's inference "
    "engine for ONNX graphs (CPUExecutionProvider, same threads), timed in the same interleaved "
    "session.":
        "{ms} 是模型在 PyTorch 中的延迟；{ort_ms} 是同一模型在 {ort}（微软的 ONNX 计算图推理引擎；"
        "CPUExecutionProvider，线程数相同）中的延迟，两者在同一个交错计时的会话中测量。",
    "Each model was exported with {export} — {onnx}'s dynamo exporter, the TorchScript one where "
    "dynamo fails, outputs checked against PyTorch's — as trained (ORT folds BatchNorm itself); "
    "hover an ORT cell for the exporter and opset.":
        "每个模型都按训练时的形式（ORT 会自行折叠 BatchNorm）用 {export} 导出：使用 {onnx} 的 "
        "dynamo 导出器，dynamo 失败时改用 TorchScript 导出器，并核对输出与 PyTorch 一致；悬停在 "
        "ORT 单元格上可查看导出器和 opset。",
    "A dash in an ORT column: the model did not export (hover for why){more}.":
        "ORT 列中的短横线表示模型未能导出（悬停查看原因）{more}。",
    " or was not exported in this run ({command} exports every row)":
        "，或本次运行没有导出它（{command} 会导出每一行）",
    "{rows} runs in ONNX Runtime only (ORT's own static int8 quantisation, QDQ): its speed-up is "
    "against the baseline in ONNX Runtime.":
        "{rows} 只在 ONNX Runtime 中运行（ORT 自带的静态 int8 量化，QDQ）：其加速比是相对 ONNX "
        "Runtime 中的基线计算的。",
    "{rows} run in ONNX Runtime only (ORT's own static int8 quantisation, QDQ): their speed-up is "
    "against the baseline in ONNX Runtime.":
        "{rows} 只在 ONNX Runtime 中运行（ORT 自带的静态 int8 量化，QDQ）：其加速比是相对 ONNX "
        "Runtime 中的基线计算的。",
    "Scroll the table sideways for every column.": "横向滚动表格可查看所有列。",
    "own setting: {setting}": "自有设置：{setting}",
    "† benchmarked in its own setting (hover for which): a search, a student, an architecture "
    "trained from scratch or a recurrent network, compared with the model's baseline.":
        "† 在自有设置下测试（悬停查看是哪种设置）：一次架构搜索、一个学生网络、一个从头训练的网络"
        "结构或一个循环神经网络，与该模型的基线比较。",
    "Pruning sweep: how much of the FLOP reduction is real": "剪枝扫描：FLOPs 的减少有多少是真实的",
    "Each method row above is one setting. Here the trained {model} baseline is pruned by "
    "{method} at several ratios under two schemes and timed in the same session: {every} (the "
    "zoo's default; channels that residual additions tie together are pruned too) and {block} "
    "({keep}, Li et al.'s scheme for ResNets: only the channels inside each block go). Latency "
    "depends on the shapes alone, so these models are not fine-tuned and have no accuracy.":
        "上表中每个方法的行是一种设置。这里用 {method} 以多个比例、按两种方案剪枝训练好的 {model} "
        "基线，并在同一会话中计时：{every}（zoo 的默认方案；被残差相加绑定在一起的通道也会剪掉）和 "
        "{block}（{keep}，Li 等人针对 ResNet 的方案：只剪去每个块内部的通道）。延迟只取决于形状，"
        "因此这些模型不做微调，也没有准确率。",
    "Pruning sweep": "剪枝扫描",
    "Scheme": "方案",
    "Conv widths": "卷积宽度",
    "narrowest and widest convolution left": "剪枝后最窄与最宽的卷积",
    "batch-64 speed-up ÷ FLOP reduction": "batch 64 加速比 ÷ FLOPs 减少倍数",
    "range of round medians {range} ms": "各轮中位数的范围：{range} ms",
    "Plots": "图表",
    "Models": "模型",
    "Description": "说明",
    "Baseline training": "基线训练",
    "{epochs} epochs at lr {lr}, batch {batch} (Adam, cosine); fine-tune {fine_tune_epochs} "
    "epochs at lr {fine_tune_lr}":
        "{epochs} 个 epoch，学习率 {lr}，batch {batch}（Adam，余弦退火）；微调 {fine_tune_epochs} "
        "个 epoch，学习率 {fine_tune_lr}",
    "{seconds} s per seed": "每个种子 {seconds} s",
    "Peers": "同类库",
    "Own settings and methods not in this run": "自有设置与未参加本次运行的方法",
    " (own setting)": "（自有设置）",
    "Reproduce": "复现",
    "every method, three seeds": "每个方法，三个种子",
    "every method, three seeds ({minutes} min on {cpus} in the run above)":
        "每个方法，三个种子（上面这次运行在 {cpus} 上用时 {minutes} 分钟）",
    "one seed, short recipes, a subset": "一个种子，缩短的训练方案，部分方法与模型",
    'also every row in ONNX Runtime (pip install "aladin-zoo[zoo,deploy]")':
        '另外在 ONNX Runtime 中测量每一行（pip install "aladin-zoo[zoo,deploy]"）',
    # ... its results table and plots (zoo/site/benchmarks.py)
    "the benchmark model": "基准测试的模型",
    "zoo method, peer library, reference or baseline":
        "zoo 方法（method）、同类库（peer）、参考（reference）或基线（baseline）",
    "Accuracy %": "准确率 %",
    "test accuracy, mean ± sample standard deviation over the seeds":
        "测试准确率：各种子的均值 ± 样本标准差",
    "Δ pts": "Δ 百分点",
    "accuracy minus the baseline's, in points; ✓ within the method's stated tolerance":
        "准确率减去基线的准确率（百分点）；✓ 表示在该方法声明的容差之内",
    "parameters (thousands)": "参数量（千）",
    "MFLOPs": "MFLOPs",
    "FLOPs of one forward pass of one input (millions; a multiply-add is 2)":
        "单个输入一次前向传播的 FLOPs（百万；一次乘加计为 2）",
    "FLOP ÷": "FLOP ÷",
    "FLOP reduction: baseline FLOPs ÷ FLOPs": "FLOPs 减少倍数：基线 FLOPs ÷ FLOPs",
    "Size KiB": "大小 KiB",
    "serialized size (packed size of fake-quantised weights)":
        "序列化后的大小（括号内为伪量化权重打包后的大小）",
    "ms @1": "ms @1",
    "ms @64": "ms @64",
    "median CPU latency in PyTorch at batch 1 (ms)": "PyTorch 中 batch 1 的 CPU 延迟中位数（ms）",
    "median CPU latency in PyTorch at batch 64 (ms)": "PyTorch 中 batch 64 的 CPU 延迟中位数（ms）",
    "ORT ms @1": "ORT ms @1",
    "ORT ms @64": "ORT ms @64",
    "median ONNX Runtime latency at batch 1 (ms; CPUExecutionProvider, same threads, timed in the "
    "same session as PyTorch)":
        "ONNX Runtime 中 batch 1 的延迟中位数（ms；CPUExecutionProvider，线程数相同，与 PyTorch "
        "在同一会话中计时）",
    "median ONNX Runtime latency at batch 64 (ms; CPUExecutionProvider, same threads, timed in "
    "the same session as PyTorch)":
        "ONNX Runtime 中 batch 64 的延迟中位数（ms；CPUExecutionProvider，线程数相同，与 PyTorch 在"
        "同一会话中计时）",
    "Speed-up @64": "加速比 @64",
    "baseline latency ÷ latency at batch 64 (in the row's runtime)":
        "batch 64 时基线延迟 ÷ 本行延迟（在本行的运行时中）",
    "Real share": "实际占比",
    "batch-64 speed-up ÷ FLOP reduction: how much of the theoretical gain the CPU delivers":
        "batch 64 加速比 ÷ FLOPs 减少倍数：理论收益中 CPU 实际兑现的比例",
    "batch-64 latency ours ÷ peer / accuracy difference in points":
        "batch 64 延迟之比（本方法 ÷ 同类库）/ 准确率之差（百分点）",
    "{values} % over {n} seed": "{n} 个种子上的准确率：{values} %",
    "{values} % over {n} seeds": "{n} 个种子上的准确率：{values} %",
    "tolerance: {tolerance} ({source})": "容差：{tolerance}（{source}）",
    "bytes of the .onnx file": ".onnx 文件的字节数",
    "torch.save(state_dict) bytes": "torch.save(state_dict) 的字节数",
    "; in parentheses: the weights packed at their bit widths":
        "；括号内：权重按各自位宽打包后的大小",
    "ONNX Runtime, against the baseline in ONNX Runtime":
        "在 ONNX Runtime 中，相对 ONNX Runtime 中的基线",
    "as trained (BatchNorm not folded): {speedup}×": "训练时的形式（未折叠 BatchNorm）：{speedup}×",
    "runs in ONNX Runtime only: see the ORT columns": "只在 ONNX Runtime 中运行：见 ORT 列",
    "not exported: {error}": "未导出：{error}",
    "exported by torch.onnx's {exporter} exporter, opset {opset}":
        "由 torch.onnx 的 {exporter} 导出器导出，opset {opset}",
    "ONNX Runtime static int8 ({quantization}) of the float model exported by torch.onnx's "
    "{exporter} exporter, opset {opset}":
        "由 torch.onnx 的 {exporter} 导出器导出的浮点模型，经 ONNX Runtime 静态 int8 量化"
        "（{quantization}），opset {opset}",
    "; max |ORT − PyTorch| {diff} on the check inputs":
        "；在检验输入上 |ORT − PyTorch| 最大为 {diff}",
    "vs {peer}: batch-64 latency ours ÷ peer {latency}, accuracy ours ÷ peer {accuracy}, "
    "difference {points} points":
        "相对 {peer}：batch 64 延迟之比（本方法 ÷ 同类库）{latency}，准确率之比 {accuracy}，相差 "
        "{points} 个百分点",
    "vs {peer}: batch-64 latency ours ÷ peer {latency} (both in ONNX Runtime: {ort_latency}), "
    "accuracy ours ÷ peer {accuracy}, difference {points} points":
        "相对 {peer}：batch 64 延迟之比（本方法 ÷ 同类库）{latency}（两者都在 ONNX Runtime 中时为 "
        "{ort_latency}），准确率之比 {accuracy}，相差 {points} 个百分点",
    "Accuracy vs FLOPs — {model}": "准确率与 FLOPs — {model}",
    # the plots' series: a row's kind, else its method's category (catalog/taxonomy.yaml), or a
    # scheme of the pruning sweep
    "baseline": "基线",
    "peer": "同类库",
    "reference": "参考",
    "method": "zoo 方法",
    "pruning": "剪枝",
    "quantization": "量化",
    "architecture": "网络结构再设计/搜索",
    "low-rank": "低秩分解",
    "distillation": "网络蒸馏",
    "sweep: {scheme}": "剪枝扫描：{scheme}",
    "FLOPs per input (log scale)": "每个输入的 FLOPs（对数坐标）",
    "test accuracy (%)": "测试准确率（%）",
    "{method} on {model}: {accuracy} %, {flops}FLOPs":
        "{model} 上的 {method}：{accuracy} %，{flops}FLOPs",
    "Measured vs theoretical speed-up (batch 64)": "实测与理论加速比（batch 64）",
    "theoretical speed-up: FLOP reduction (log)": "理论加速比：FLOPs 减少倍数（对数坐标）",
    "measured speed-up at batch 64 (log)": "batch 64 实测加速比（对数坐标）",
    "measured = theoretical": "实测 = 理论",
    "0.8 × theoretical": "0.8 × 理论",
    "{method} on {model}: FLOPs ÷{reduction}, measured ×{speedup} at batch 64":
        "{model} 上的 {method}：FLOPs ÷{reduction}，batch 64 实测 ×{speedup}",
    "{method} {scheme} at ratio {ratio} on {model} (not fine-tuned): FLOPs ÷{reduction}, measured "
    "×{speedup} at batch 64":
        "{model} 上的 {method} {scheme}，比例 {ratio}（未微调）：FLOPs ÷{reduction}，batch 64 实测 "
        "×{speedup}",
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
    "Quantisation, pruning and distillation of a small Llama trained by the zoo on Python's "
    "standard library ({module}), measured beside llmcompressor on this machine's CPU. Each "
    "method links to its paper. Perplexities of one file compare with each other; the two files "
    "used different models, and the pruning file records why its absolute perplexities differ "
    "from the model's own.":
        "对 zoo 在 Python 标准库上训练的一个小型 Llama（{module}）做量化、剪枝与蒸馏，在本机 CPU "
        "上与 llmcompressor 并列测量。每个方法都链接到其论文。同一文件中的困惑度可以相互比较；两个"
        "文件使用了不同的模型，剪枝文件中记录了其困惑度绝对值与模型自身困惑度不同的原因。",
    "Latency is the median over repeats on {n} thread(s) of a shared machine; the load average "
    "above says how busy it was, and timings under load are noisy.":
        "延迟是在一台共享机器上用 {n} 个线程重复测量的中位数；上面的平均负载反映了机器当时的繁忙"
        "程度，有负载时的计时有噪声。",
    "Latency is the median over repeats on the recorded number of thread(s) of a shared machine; "
    "the load average above says how busy it was, and timings under load are noisy.":
        "延迟是在一台共享机器上按记录的线程数重复测量的中位数；上面的平均负载反映了机器当时的繁忙"
        "程度，有负载时的计时有噪声。",
    "As judged when the results were written; the figures each target compared follow it.":
        "按写入结果时的判定；每个目标后面列出了它所比较的数字。",
    "GPTQ, AWQ and SmoothQuant beside round-to-nearest (RTN), naive W8A8, llmcompressor and "
    "torchao at the same setting (peers indented). “vs fp32” is the perplexity change against "
    "the float model, “vs peer” against the peer library's row of the same setting "
    "(llmcompressor's, else torchao's); hover a cell for the figure it compares with. The "
    "{outliers} model is the trained model with a few outlier channels injected (the same "
    "function in float): the activation outliers that AWQ and SmoothQuant are built for, which "
    "the trained small model lacks.":
        "GPTQ、AWQ 和 SmoothQuant 与最近舍入（RTN）、朴素 W8A8、llmcompressor 和 torchao 在相同"
        "设置下并列比较（同类库的行有缩进）。“相对 fp32”是相对浮点模型的困惑度变化，“相对同类库”"
        "是相对同一设置下同类库那一行（优先 llmcompressor，否则 torchao）的困惑度变化；悬停在单元格"
        "上可查看所比较的数字。{outliers} 模型是注入了少量离群通道的训练后模型（浮点下计算的函数"
        "不变）：AWQ 和 SmoothQuant 正是针对这类激活离群值设计的，而训练出的小模型本身没有。",
    "Magnitude (the baseline), Wanda and SparseGPT set half the weights of every Linear layer to "
    "zero, unstructured or 2:4, beside llmcompressor's modifiers (indented); no recovery "
    "training. “vs dense” is against the dense model of the same run.":
        "幅值剪枝（基线）、Wanda 和 SparseGPT 把每个 Linear 层一半的权重置零（非结构化或 2:4），"
        "与 llmcompressor 的 modifier（缩进的行）并列比较；不做恢复训练。“相对稠密模型”是相对同一"
        "次运行中的稠密模型。",
    "LLM-Pruner removes whole heads and channels: perplexity right after pruning and after "
    "recovery training, and the latency of the smaller model against the dense one.":
        "LLM-Pruner 移除整个注意力头和通道：表中给出剪枝后立即测得的困惑度、恢复训练后的困惑度，"
        "以及剪小后的模型相对稠密模型的延迟。",
    "Students of the same initialisation trained for the same steps on the same data: alone, "
    "with forward-KL distillation and with MiniLLM (reverse KL).":
        "初始化相同的学生模型在相同数据上训练相同步数：单独训练、用前向 KL 蒸馏，以及用 MiniLLM"
        "（反向 KL）。",
    "both files; trains the small Llama first (minutes to an hour on two cores)":
        "两个文件；先训练小型 Llama（在两个核心上需要几分钟到一小时）",
    "the tiny model: faster, coarser": "tiny 模型：更快，也更粗略",
    "quantisation only: {file}": "只做量化：{file}",
    "pruning and distillation: {file}": "剪枝与蒸馏：{file}",
    # ... and the tooltips of its tables' columns (zoo/site/lm_benchmarks.py)
    "the trained model, or the same model with outlier channels injected":
        "训练好的模型，或注入了离群通道的同一模型",
    "zoo method, peer library or reference":
        "zoo 方法（method）、同类库（peer）或参考（reference）",
    "weight (and activation) bits, quantisation group size": "权重（及激活）位宽，量化分组大小",
    "validation perplexity": "验证集困惑度",
    "perplexity change against the fp32 model": "相对 fp32 模型的困惑度变化",
    "perplexity against the peer library (llmcompressor, else torchao) at the same setting":
        "相同设置下相对同类库（优先 llmcompressor，否则 torchao）的困惑度变化",
    "Linear weights packed at their bit width (share of fp32)":
        "按位宽打包后的 Linear 权重（占 fp32 的比例）",
    "time to quantise (seconds)": "量化耗时（秒）",
    "median forward of a batch of 8 × 128 tokens (ms)":
        "一批 8 × 128 个词元的前向传播时间中位数（ms）",
    "median 64-token greedy generation (ms)": "贪心生成 64 个词元的时间中位数（ms）",
    "share of weights set to zero, and its pattern": "置零的权重比例及其模式",
    "validation perplexity (one-shot, no recovery)": "验证集困惑度（一次性剪枝，无恢复训练）",
    "perplexity change against the dense model": "相对稠密模型的困惑度变化",
    "perplexity against llmcompressor's modifier at the same setting":
        "相同设置下相对 llmcompressor modifier 的困惑度变化",
    "bitmask safetensors file (share of the dense file)":
        "bitmask safetensors 文件（占稠密模型文件的比例）",
    "time to prune (seconds)": "剪枝耗时（秒）",
    "parameters removed (the per-block ratio that removes them)":
        "移除的参数比例（括号内为实现该比例所用的剪枝比例）",
    "validation perplexity right after pruning": "剪枝后立即测得的验证集困惑度",
    "validation perplexity after recovery training (the dense model: as trained)":
        "恢复训练后的验证集困惑度（稠密模型：训练后的值）",
    "perplexity after recovery against the dense model": "恢复训练后相对稠密模型的困惑度变化",
    "forward time reduction against the dense model": "相对稠密模型的前向时间减少",
    "recovery training time (seconds)": "恢复训练耗时（秒）",
    "the teacher, the student's initialisation, and the training of each student from it":
        "教师模型、学生的初始化，以及每个学生由此开始的训练方式",
    "perplexity change against the student trained alone (same init, steps and data)":
        "相对单独训练的学生的困惑度变化（相同初始化、步数与数据）",
    "training time (seconds)": "训练耗时（秒）",
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
