"""`regwatch alerts test RULE`: a sample alert through every channel of a rule."""

from __future__ import annotations

from datetime import date

from crawler.config import AlertRule
from scheduler.alerts import channels
from scheduler.alerts.messages import AlertItem, render_items

SAMPLES = {
    "en": AlertItem(title="Sample: Executive Order on Artificial Intelligence (Regwatch test alert)",
                    authority="Executive Office of the President", published=date(2025, 1, 23),
                    url="https://www.federalregister.gov/documents/2025/01/31/2025-02172/",
                    source_id="federal-register", terms=["artificial intelligence", "AI"],
                    reasons=[["relevance", 0.94, 0.5]]),
    "zh": AlertItem(title="示例：人工智能生成合成内容标识办法（Regwatch 测试提醒）", authority="国家互联网信息办公室",
                    published=date(2025, 3, 14), url="https://www.cac.gov.cn/2025-03/14/c_1743654684782215.htm",
                    source_id="cac", terms=["人工智能", "生成式"], reasons=[["relevance", 0.94, 0.5]]),
}


def send_sample(rule: AlertRule) -> dict[str, str | None]:
    """Per channel (named without secrets): None when delivered, else the error."""
    item = SAMPLES[rule.language]
    title, body = render_items([item], rule.id, rule.language, digest=rule.mode == "digest")
    results = channels.send_all(rule.notify, title, body)
    return {channels.channel_label(url): error for url, error in results.items()}
