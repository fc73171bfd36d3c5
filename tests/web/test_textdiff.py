"""The changes view's word diff: a pure function, no database."""

from app.web.textdiff import is_long, tokens, word_diff


def spelled(pieces, keep):
    return "".join(text for kind, text in pieces if kind in keep)


def test_tokens_are_words_numbers_and_single_cjk_characters():
    assert tokens("2019年主持ABC项目, 3.5万") == ["2019", "年", "主", "持", "ABC", "项", "目", ",", " ", "3.5", "万"]


def test_a_changed_word_inside_a_long_text():
    before = "本人长期从事群众文化工作，组织大型文艺演出20余场，辅导基层文艺团队。"
    after = "本人长期从事群众文化工作，组织大型文艺演出35余场，辅导基层文艺团队和学校社团。"
    pieces = word_diff(before, after)
    assert ("del", "20") in pieces and ("ins", "35") in pieces and ("ins", "和学校社团") in pieces
    assert spelled(pieces, {"same", "del"}) == before and spelled(pieces, {"same", "ins"}) == after
    assert pieces[0] == ("same", "本人长期从事群众文化工作，组织大型文艺演出")


def test_a_number_is_one_word_not_its_digits():
    assert word_diff("共 1200 小时", "共 1250 小时") == [("same", "共 "), ("del", "1200"), ("ins", "1250"),
                                                       ("same", " 小时")]


def test_same_texts_and_empty_sides():
    assert word_diff("不变", "不变") == [("same", "不变")]
    assert word_diff("", "新增的文字") == [("ins", "新增的文字")]
    assert word_diff("删去的文字", "") == [("del", "删去的文字")]


def test_only_long_texts_are_diffed_word_by_word():
    assert not is_long("短", "短文本")
    assert is_long("长" * 40, "长" * 41)
