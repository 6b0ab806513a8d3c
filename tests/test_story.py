"""A story in parts: read under headings, previewed without its markers, never cut inside a masked number."""

from __future__ import annotations

from heatcases import story

BODY = "【情况】客人手机139****5678打不通，很着急。\n\n【我的做法】我改签了航班。\n\n【心得】先安顿人。"


def test_sections_in_the_order_written_and_free_text_as_none():
    assert story.sections(BODY) == [("situation", "客人手机139****5678打不通，很着急。"),
                                    ("action", "我改签了航班。"), ("takeaway", "先安顿人。")]  # fmt: skip
    assert story.sections("客人打来电话，我帮他改签了。") is None
    assert story.sections("【情況】旅客很著急。\n\n【結果】準時到達。") == [
        ("situation", "旅客很著急。"),
        ("outcome", "準時到達。"),
    ]


def test_an_excerpt_leaves_out_the_markers_and_runs_the_parts_together():
    assert story.excerpt(BODY, 200) == "客人手机139****5678打不通，很着急。 我改签了航班。 先安顿人。"
    assert story.excerpt("【情况】短。", 10) == "短。"


def test_an_excerpt_never_ends_inside_a_masked_number_or_a_word():
    for limit in range(8, 16):  # every cut through 139****5678 (characters 4 to 15)
        cut = story.excerpt(BODY, limit)
        assert cut.endswith("…")
        assert "139****5678" in cut or "139" not in cut, (limit, cut)
    assert story.excerpt("请拨打 hotline 客服热线" + "。" * 40, 9) == "请拨打…"


def test_markers_are_blanked_in_place():
    blanked = story.without_markers(BODY)
    assert len(blanked) == len(BODY) and "【" not in blanked
    assert blanked.index("客人") == BODY.index("客人")
