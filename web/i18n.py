"""The interface in 中文 and English: one message catalog, no gettext build step.

A key missing from a language falls back to English, then to the key itself, so a forgotten
entry shows up as readable text rather than an error."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"zh": "Regwatch 监管动态", "en": "Regwatch"},
    "queue": {"zh": "待审队列", "en": "Queue"},
    "add_by_url": {"zh": "按链接添加", "en": "Add by URL"},
    "export": {"zh": "月报导出", "en": "Bulletin export"},
    "sources": {"zh": "信息源", "en": "Sources"},
    "logout": {"zh": "退出", "en": "Log out"},
    "login": {"zh": "登录", "en": "Log in"},
    "username": {"zh": "用户名", "en": "User name"},
    "password": {"zh": "密码", "en": "Password"},
    "login_failed": {"zh": "用户名或密码不正确。", "en": "Wrong user name or password."},
    "login_throttled": {"zh": "登录失败次数过多，请于 {until}（约 {minutes} 分钟后）再试。",
                        "en": "Too many failed logins. Try again after {until} (in about {minutes} min)."},
    "language": {"zh": "语言", "en": "Language"},
    "role_editor": {"zh": "编辑", "en": "editor"},
    "role_viewer": {"zh": "只读", "en": "viewer"},
    # queue
    "status": {"zh": "状态", "en": "Status"},
    "all": {"zh": "全部", "en": "All"},
    "st_new": {"zh": "新", "en": "New"},
    "st_accepted": {"zh": "已采用", "en": "Accepted"},
    "st_rejected": {"zh": "已排除", "en": "Rejected"},
    "st_snoozed": {"zh": "暂缓", "en": "Snoozed"},
    "st_updated": {"zh": "有更新", "en": "Updated"},
    "source": {"zh": "来源", "en": "Source"},
    "jurisdiction": {"zh": "法域", "en": "Jurisdiction"},
    "category": {"zh": "类别", "en": "Category"},
    "doc_type": {"zh": "文件类型", "en": "Document type"},
    "date_from": {"zh": "起始日期", "en": "From"},
    "date_to": {"zh": "截止日期", "en": "To"},
    "min_relevance": {"zh": "最低相关度", "en": "Min. relevance"},
    "search": {"zh": "全文搜索", "en": "Full-text search"},
    "search_placeholder": {"zh": "标题、摘要、正文…", "en": "title, summary, text…"},
    "assignee": {"zh": "负责人", "en": "Assignee"},
    "bulletin_month": {"zh": "月报月份", "en": "Bulletin month"},
    "section": {"zh": "栏目", "en": "Section"},
    "apply_filters": {"zh": "筛选", "en": "Filter"},
    "clear_filters": {"zh": "清除", "en": "Clear"},
    "title": {"zh": "标题", "en": "Title"},
    "authority": {"zh": "发布机构", "en": "Authority"},
    "published": {"zh": "发布日期", "en": "Published"},
    "relevance": {"zh": "相关度", "en": "Relevance"},
    "updated": {"zh": "已更新", "en": "updated"},
    "generic": {"zh": "通用解析", "en": "read generically"},
    "generic_hint": {"zh": "来源的选择器未命中，本条由通用解析读取：请核对标题和日期",
                     "en": "the source's selectors missed and the generic reader read this item: "
                           "check its title and date"},
    "no_items": {"zh": "没有符合条件的条目。", "en": "No items match."},
    "items_total": {"zh": "共 {n} 条", "en": "{n} items"},
    "page_of": {"zh": "第 {page} / {pages} 页", "en": "page {page} of {pages}"},
    "previous": {"zh": "上一页", "en": "Previous"},
    "next": {"zh": "下一页", "en": "Next"},
    "selected": {"zh": "已选 {n} 条", "en": "{n} selected"},
    "accept": {"zh": "采用", "en": "Accept"},
    "reject": {"zh": "排除", "en": "Reject"},
    "snooze": {"zh": "暂缓", "en": "Snooze"},
    "reopen": {"zh": "重新打开", "en": "Reopen"},
    "assign": {"zh": "指派", "en": "Assign"},
    "accept_selected": {"zh": "采用所选", "en": "Accept selected"},
    "reject_selected": {"zh": "排除所选", "en": "Reject selected"},
    "accept_into": {"zh": "采用到", "en": "Accept into"},
    "reason": {"zh": "原因", "en": "Reason"},
    "reason_prompt": {"zh": "排除原因：", "en": "Reason for rejecting:"},
    "snooze_prompt": {"zh": "暂缓至（YYYY-MM-DD）：", "en": "Snooze until (YYYY-MM-DD):"},
    "until": {"zh": "至", "en": "until"},
    "shortcuts": {"zh": "快捷键", "en": "Shortcuts"},
    "key_move": {"zh": "上下移动", "en": "move down / up"},
    "key_open": {"zh": "打开", "en": "open"},
    "key_select": {"zh": "勾选", "en": "select"},
    "key_accept": {"zh": "采用到上方所选月份和栏目", "en": "accept into the month and section above"},
    "key_reject": {"zh": "排除", "en": "reject"},
    "key_snooze": {"zh": "暂缓", "en": "snooze"},
    "key_search": {"zh": "搜索", "en": "search"},
    "done": {"zh": "已完成", "en": "Done"},
    "failed": {"zh": "失败", "en": "Failed"},
    # item page
    "back_to_queue": {"zh": "返回队列", "en": "Back to the queue"},
    "metadata": {"zh": "基本信息", "en": "Metadata"},
    "identifiers": {"zh": "文号与编号", "en": "Identifiers"},
    "dates": {"zh": "相关日期", "en": "Dates"},
    "language_of_item": {"zh": "语言", "en": "Language"},
    "fetched_at": {"zh": "抓取时间", "en": "Fetched"},
    "first_seen": {"zh": "首次发现", "en": "First seen"},
    "matched_terms": {"zh": "命中词", "en": "Matched terms"},
    "summary": {"zh": "摘要", "en": "Summary"},
    "text": {"zh": "正文", "en": "Text"},
    "original": {"zh": "原文链接", "en": "Original"},
    "unsafe_link": {"zh": "（非 http(s) 链接，不可点击）", "en": "(not an http(s) link, not clickable)"},
    "archived_copy": {"zh": "存档副本", "en": "Archived copy"},
    "archived_note": {"zh": "抓取时的原始响应，已隔离显示（不运行脚本，不加载外部资源）。",
                      "en": "The response as fetched, shown sandboxed (no scripts, no outside loads)."},
    "no_archive": {"zh": "此版本没有存档。", "en": "No archived response for this version."},
    "open_archive": {"zh": "单独打开", "en": "open on its own"},
    "versions": {"zh": "版本", "en": "Versions"},
    "version": {"zh": "版本", "en": "Version"},
    "diff_with_previous": {"zh": "与上一版本的差异", "en": "Changes from the previous version"},
    "no_changes_text": {"zh": "正文无变化。", "en": "The text did not change."},
    "history": {"zh": "处理记录", "en": "History"},
    "no_history": {"zh": "暂无记录。", "en": "Nothing yet."},
    "decision": {"zh": "处理", "en": "Decision"},
    "notes": {"zh": "备注", "en": "Notes"},
    "add_note": {"zh": "添加备注", "en": "Add note"},
    "editorial": {"zh": "编辑稿", "en": "Editorial text"},
    "editorial_title": {"zh": "中文标题", "en": "Chinese title"},
    "editorial_summary": {"zh": "摘要（月报用）", "en": "摘要 (for the bulletin)"},
    "save": {"zh": "保存", "en": "Save"},
    "linked": {"zh": "其他来源的同一文件", "en": "The same document from other sources"},
    "viewer_notice": {"zh": "您是只读用户，不能修改。", "en": "You are a viewer: you cannot change anything."},
    # add by URL
    "add_intro": {"zh": "粘贴一个链接（如微信公众号文章、法院公告），Regwatch 会抓取一次、存档并加入队列。",
                  "en": "Paste a link (a WeChat article, a court notice…): Regwatch fetches it once, "
                        "archives it and queues it."},
    "url": {"zh": "链接", "en": "URL"},
    "fetch_and_queue": {"zh": "抓取并加入队列", "en": "Fetch and queue"},
    "added": {"zh": "已加入队列：", "en": "Queued:"},
    "duplicate_of": {"zh": "已存在相同条目：", "en": "Already stored as:"},
    "dup_url": {"zh": "（相同链接）", "en": "(same address)"},
    "dup_identifier": {"zh": "（相同文号/编号）", "en": "(same identifier)"},
    "dup_content": {"zh": "（内容相同）", "en": "(same content)"},
    "dup_title": {"zh": "（同日同标题）", "en": "(same title, same day)"},
    "add_failed": {"zh": "无法添加：", "en": "Could not add:"},
    "only_http": {"zh": "只接受 http(s) 链接。", "en": "Only http(s) links can be added."},
    "add_refused": {"zh": "为安全起见，Regwatch 不抓取内网地址（本机、私有、链路本地、保留地址等），"
                          "也不跟随指向这些地址的跳转。实验环境可由管理员设置 web.allow_private_urls。",
                    "en": "For safety, Regwatch does not fetch addresses inside the network (this machine, "
                          "private, link-local, reserved…) nor follow redirects to them. An administrator can "
                          "allow them for a lab setup with web.allow_private_urls."},
    # export
    "export_intro": {"zh": "导出某月已采用条目的月报草稿。",
                     "en": "Download the draft bulletin of a month's accepted items."},
    "month": {"zh": "月份", "en": "Month"},
    "download_md": {"zh": "下载 Markdown", "en": "Download Markdown"},
    "download_docx": {"zh": "下载 Word (DOCX)", "en": "Download Word (DOCX)"},
    "preview": {"zh": "预览", "en": "Preview"},
    "accepted_in_month": {"zh": "{month} 已采用 {n} 条", "en": "{n} accepted for {month}"},
    # sources
    "health": {"zh": "健康状况", "en": "Health"},
    "last_runs": {"zh": "最近运行", "en": "Last runs"},
    "last_success": {"zh": "最近成功", "en": "Last success"},
    "last_new_item": {"zh": "最近新条目", "en": "Last new item"},
    "items_stored": {"zh": "已存条目", "en": "Items"},
    "errors": {"zh": "错误", "en": "Errors"},
    "why": {"zh": "说明", "en": "Why"},
    "never_run": {"zh": "从未运行", "en": "never run"},
    "enabled": {"zh": "启用", "en": "Enabled"},
    "disabled": {"zh": "已停用", "en": "disabled"},
    "health_ok": {"zh": "正常", "en": "ok"},
    "health_broken": {"zh": "故障", "en": "broken"},
    "health_quiet": {"zh": "久无新条目", "en": "quiet"},
    "health_degraded": {"zh": "降级（通用解析）", "en": "degraded"},
    "read_generically": {"zh": "条由通用解析读取", "en": "read by the generic reader"},
    "health_never_run": {"zh": "从未运行", "en": "never run"},
    "new_items": {"zh": "新", "en": "new"},
    # history events, by action
    "ev_accept": {"zh": "采用", "en": "accepted"},
    "ev_reject": {"zh": "排除", "en": "rejected"},
    "ev_snooze": {"zh": "暂缓", "en": "snoozed"},
    "ev_assign": {"zh": "指派", "en": "assigned"},
    "ev_reopen": {"zh": "重新打开", "en": "reopened"},
    "ev_note": {"zh": "备注", "en": "note"},
    "ev_editorial": {"zh": "编辑稿", "en": "editorial text"},
    "ev_add": {"zh": "按链接添加", "en": "added by URL"},
    "ev_updated": {"zh": "来源更新了文件", "en": "the source changed the document"},
    # errors
    "forbidden": {"zh": "没有权限执行此操作。", "en": "You are not allowed to do that."},
    "csrf_failed": {"zh": "表单已过期，请刷新页面后重试。", "en": "The form expired: reload the page and try again."},
    "not_found": {"zh": "找不到该页面或条目。", "en": "No such page or item."},
    "bad_request": {"zh": "请求有误：", "en": "Bad request:"},
}

# Vocabulary of items (crawler.items): shown in the reader's language, stored as codes.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "law_regulation": {"zh": "法律法规", "en": "law & regulation"},
    "standard": {"zh": "标准", "en": "standard"},
    "court": {"zh": "司法", "en": "court"},
    "guidance": {"zh": "指南", "en": "guidance"},
    "industry": {"zh": "行业", "en": "industry"},
    "law": {"zh": "法律", "en": "law"},
    "bill": {"zh": "法案", "en": "bill"},
    "executive_order": {"zh": "行政令", "en": "executive order"},
    "presidential_memorandum": {"zh": "总统备忘录", "en": "presidential memorandum"},
    "proclamation": {"zh": "公告（总统）", "en": "proclamation"},
    "rule": {"zh": "规章", "en": "rule"},
    "proposed_rule": {"zh": "拟议规章", "en": "proposed rule"},
    "notice": {"zh": "通知公告", "en": "notice"},
    "draft_standard": {"zh": "标准征求意见稿", "en": "draft standard"},
    "report": {"zh": "报告", "en": "report"},
    "judgment": {"zh": "判决", "en": "judgment"},
    "court_filing": {"zh": "诉讼文书", "en": "court filing"},
    "press_release": {"zh": "新闻稿", "en": "press release"},
    "news": {"zh": "新闻", "en": "news"},
    "other": {"zh": "其他", "en": "other"},
}


def value_label(code: str | None, lang: str) -> str:
    """A category or document type in words; an unknown code is shown as it is."""
    if not code:
        return "—"
    entry = VALUE_LABELS.get(code)
    return entry.get(lang, code) if entry else code


def translate(key: str, lang: str, **values: object) -> str:
    entry = MESSAGES.get(key)
    text = key if entry is None else entry.get(lang) or entry.get("en") or key
    return text.format(**values) if values else text


def pick_language(candidate: str | None, default: str = "zh") -> str:
    return candidate if candidate in LANGUAGES else (default if default in LANGUAGES else "zh")
