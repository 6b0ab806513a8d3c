"""The synonyms tests' library, and no supervisors' group outliving its test (they live in the search text
module for the whole process)."""

import pytest

from heatcases.search import text


@pytest.fixture(autouse=True)
def no_groups_left_behind():
    yield
    text.set_extra_synonym_groups(())


ELDERLY = (
    "【情况】一位老人打来电话，他在昆明的航班因雷雨取消，手机快没电了。\n\n"
    "【我的做法】我帮他改签到第二天早上的航班，并安排了机场附近的酒店。\n\n【结果】老人安全到家。"
)
HOTEL = (
    "【情况】客人深夜到店，酒店说超售了，没有房间。\n\n"
    "【我的做法】我联系酒店协调同级别的房间升级，差价由酒店承担。\n\n【结果】客人顺利入住。"
)
REFUND = (
    "【情况】客人的火车票买错了日期，想办理退票，担心手续费。\n\n"
    "【我的做法】我讲清了退票规则，帮客人在开车前十五天免费退了票，钱原路返回。\n\n【结果】客人很满意。"
)


@pytest.fixture
def library(agent, supervisor, submit):
    """Three approved cases; returns {name: case}."""

    def approve(**fields):
        case = submit(agent, **fields)
        response = supervisor.post(f"/api/cases/{case['id']}/review", json={"decision": "approve", "comment": "好"})
        assert response.status_code == 200, response.text
        return response.json()

    return {
        "elderly": approve(title="雷雨取消航班，帮老人改签并安排酒店", body=ELDERLY),
        "hotel": approve(title="深夜遇到酒店超售，协调升级房间", body=HOTEL, business_line="hotel", tags=["trust"],
                         behaviors=[]),
        "refund": approve(title="买错日期的火车票，讲清规则免费退票", body=REFUND, business_line="train",
                          tags=["effortless"], behaviors=[]),
    }  # fmt: skip
