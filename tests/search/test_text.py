"""Text analysis and snippets: exact offsets, Traditional/Simplified, stemming, synonyms, escaping."""

from __future__ import annotations

from heatcases.search import text
from heatcases.search.query import parse_query
from heatcases.search.snippets import make_snippet


def test_normalising_keeps_the_length_and_folds_traditional_full_width_and_case():
    for sample in ["航班延誤，帳戶退款", "ＡＢＣ１２３", "Check-In 後續", "🙂 a\u3000b"]:
        assert len(text.normalize(sample)) == len(sample)
    assert text.normalize("航班延誤，帳戶退款") == "航班延误,账户退款"
    assert text.normalize("ＡＢＣ") == "abc"


def test_every_token_points_at_exactly_its_characters():
    sample = "马克思主义者说：客人的航班延誤了，马克思又说：refunds are Processed。"
    for token in text.tokens(sample):
        original = sample[token.start : token.end]
        assert text.stem(text.normalize(original)) == token.text, (token, original)


def test_index_tokens_add_sub_words_at_the_parent_position_and_skip_stop_words():
    tokens = list(text.tokens("中华人民共和国的航班"))
    positions = {token.text: token.position for token in tokens}
    assert positions["中华人民共和国"] == positions["共和国"] == positions["人民"]
    assert "的" not in positions and positions["航班"] == positions["中华人民共和国"] + 2


def test_domain_words_stay_whole():
    assert {"航变", "退改签", "超售"} <= set(text.query_words("航变后退改签，酒店超售了"))


def test_synonyms_are_mutual_and_come_from_the_data_file():
    assert "退款" in text.synonyms("退票") and "退票" in text.synonyms("退款")
    assert "老人" in text.synonyms("长者")
    assert text.synonyms("独一无二的词") == ()


def test_hong_kong_and_taiwan_words_meet_the_mainland_ones():
    """Converting Traditional characters keeps a Taiwanese customer's 身分證 and a Hongkonger's 的士: the
    synonym list pairs them with 身份证 and 出租车."""
    for typed, mainland in (("身分證", "身份证"), ("的士", "出租车"), ("計程車", "出租车"), ("捷運", "地铁")):
        assert mainland in text.synonyms(text.normalize(typed)), typed


def test_query_syntax():
    parsed = parse_query('老人 "航班 取消" -酒店 怎么办')
    assert parsed.words == ["老人"] and parsed.phrases == [["航班", "取消"]] and parsed.excluded == ["酒店"]
    assert parse_query("").empty and parse_query("的了吗").empty and parse_query('"').empty


def test_snippet_marks_exact_words_and_escapes_everything_else():
    body = "<b>客人</b>在读马克思主义的书。" + "无关的内容。" * 40 + "最后又提到马克思。"
    snippet = str(make_snippet(body, ["马克思"]))
    assert "<mark>马克思</mark>" in snippet and "<mark>马克</mark>" not in snippet
    assert "&lt;b&gt;客人&lt;/b&gt;" in snippet and snippet.endswith("…")


def test_snippet_starts_where_most_query_words_are():
    body = "开头只有航班。" + "中间的铺垫文字。" * 30 + "这里航班取消，老人滞留在机场。" + "结尾。" * 30
    snippet = str(make_snippet(body, ["航班", "取消", "老人"]))
    assert snippet.startswith("…") and "<mark>取消</mark>" in snippet and "<mark>老人</mark>" in snippet


def test_snippet_marks_traditional_text_and_english_stems():
    assert "<mark>延誤</mark>" in str(make_snippet("航班延誤了五個小時", ["延误"]))
    assert "<mark>Refunds</mark>" in str(make_snippet("Refunds were processed quickly.", ["refund"]))
