"""The domain's fixed vocabulary: HEAT values and behaviours, roles, business lines, channels.

Codes never change; labels are bilingual (Simplified Chinese first, English second).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str
    help_zh: str = ""
    help_en: str = ""

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def help(self, lang: str) -> str:
        return self.help_en if lang == "en" else self.help_zh


@dataclass(frozen=True)
class Value(Term):
    letter: str = ""
    behaviors: tuple[Term, ...] = ()


VALUES: tuple[Value, ...] = (
    Value(
        "heartwarming",
        "用心",
        "Heartwarming",
        "用微笑和同理心服务，用真诚填补规则覆盖不到的场景。",
        "Serve with a smile and empathy; let sincerity fill the gaps the rules don't cover.",
        letter="H",
        behaviors=(
            Term(
                "warmth",
                "热情周到",
                "Warmth",
                "让客户听到微笑，热情周到，让客人感到被重视。",
                "A smile the customer can hear; attentive; the customer feels valued.",
            ),
            Term(
                "empathy",
                "换位思考",
                "Empathy",
                "站在客人的角度思考问题、解决问题。",
                "Sees and solves the problem from the customer's side.",
            ),
            Term(
                "n_plus_one",
                "N+1 增值服务",
                "N+1 service",
                "多做一步，利用合作伙伴资源提供超出预期的增值服务。",
                "One step beyond: value-added service using partners' resources.",
            ),
        ),
    ),
    Value(
        "effortless",
        "简单",
        "Effortless",
        "化繁为简，高效解决问题，回归服务的本质。",
        "Make it simple and efficient; return to the essence of service.",
        letter="E",
        behaviors=(
            Term(
                "plain_talk",
                "简明高效",
                "Plain talk",
                "用最简单清楚的话、准确的信息和熟练的操作，减少客人等待。",
                "Simplest clear words, accurate information, skilled handling that cuts waiting.",
            ),
            Term(
                "closure",
                "闭环跟进",
                "Closure",
                "负责到底，每一件事都跟进落实、有交代。",
                "Owns it to the end: every item followed up and accounted for.",
            ),
            Term(
                "improvement",
                "流程改进",
                "Improvement",
                "发现流程问题并提出改进建议。",
                "Proposes a process improvement.",
            ),
        ),
    ),
    Value(
        "active",
        "主动",
        "Active",
        "有前瞻性，积极主动发现问题、沟通问题，勇于承担责任。",
        "Look ahead: find problems early, reach out first, take responsibility.",
        letter="A",
        behaviors=(
            Term(
                "ownership",
                "勇于担当",
                "Ownership",
                "主动承接问题，不推诿、不踢皮球。",
                "Takes the problem on; no evasion or passing the buck.",
            ),
            Term(
                "anticipation",
                "预见需求",
                "Anticipation",
                "发现客人还没有提出的问题。",
                "Finds the problem the customer has not raised yet.",
            ),
            Term(
                "stepping_in",
                "补位支援",
                "Stepping in",
                "在话务高峰或突发事件中主动补位。",
                "Steps in to fill gaps in a surge or incident.",
            ),
        ),
    ),
    Value(
        "trust",
        "信赖",
        "Trust",
        "用专业和可靠的服务赢得客户的信任。",
        "Win the customer's trust with professional, reliable service.",
        letter="T",
        behaviors=(
            Term(
                "expertise",
                "专业可靠",
                "Expertise",
                "专业技能过硬，提供高质量的解决方案。",
                "Professional skill; a high-quality solution.",
            ),
            Term(
                "customer_first",
                "客户优先",
                "Customer first",
                "相信客户，在规则允许范围内为客户争取最好的结果。",
                "Believes the customer and wins them the best outcome the rules allow.",
            ),
            Term(
                "integrity",
                "诚信守护",
                "Integrity",
                "保护隐私和公司声誉，拒绝违法或不道德的要求。",
                "Protects privacy and the company's name; refuses illegal or unethical requests.",
            ),
        ),
    ),
)

VALUE_BY_CODE = {value.code: value for value in VALUES}
TAGS: tuple[str, ...] = tuple(VALUE_BY_CODE)
BEHAVIOR_BY_CODE = {behavior.code: behavior for value in VALUES for behavior in value.behaviors}
VALUE_OF_BEHAVIOR = {behavior.code: value.code for value in VALUES for behavior in value.behaviors}
BEHAVIORS: tuple[str, ...] = tuple(BEHAVIOR_BY_CODE)

BUSINESS_LINES: tuple[Term, ...] = (
    Term("flight", "机票", "Flights"),
    Term("hotel", "酒店", "Hotels"),
    Term("vacation", "度假", "Vacations"),
    Term("train", "火车票", "Trains"),
    Term("car", "用车", "Cars"),
    Term("attraction", "门票", "Attractions"),
    Term("other", "其他", "Other"),
)
CHANNELS: tuple[Term, ...] = (
    Term("phone", "电话", "Phone"),
    Term("chat", "在线", "Chat"),
    Term("email", "邮件", "E-mail"),
    Term("onsite", "现场", "On site"),
)
PRAISE_KINDS: tuple[Term, ...] = (
    Term("letter", "表扬信", "Letter"),
    Term("banner", "锦旗", "Banner"),
    Term("video", "感谢视频", "Video"),
    Term("online_review", "网上好评", "Online review"),
)
ROLES: tuple[Term, ...] = (
    Term("agent", "客服", "Agent"),
    Term("trainee", "学员", "Trainee"),
    Term("supervisor", "主管", "Supervisor"),
    Term("admin", "管理员", "Admin"),
)
STATUSES: tuple[Term, ...] = (
    Term("pending", "待审核", "Pending"),
    Term("approved", "已通过", "Approved"),
    Term("rejected", "已退回", "Rejected"),
)
# The four parts of a service story, in the order the submit form asks for them. A story written
# with the form keeps each part under its marker (【情况】…), as the seeds' own cases do.
STORY_PARTS: tuple[Term, ...] = (
    Term(
        "situation",
        "情况",
        "Situation",
        "客人遇到了什么问题？当时的处境和心情如何？",
        "What was the customer's problem? What was their situation and how did they feel?",
    ),
    Term(
        "action",
        "我的做法",
        "What I did",
        "您做了什么、怎么想的？一步一步写下来。",
        "What did you do and why? Write it step by step.",
    ),
    Term(
        "outcome",
        "结果",
        "Outcome",
        "结果怎样？客人有什么反馈？",
        "How did it end? What did the customer say?",
    ),
    Term(
        "takeaway",
        "心得",
        "Takeaway",
        "这个案例里，同事们可以学到什么？",
        "What can colleagues learn from this case?",
    ),
)
# Lessons from complaints (the second seed): a case's kind, the defect's class and kind, the service-quality
# elements (SERVQUAL) that failed, where the defect was found.
CASE_KINDS: tuple[Term, ...] = (
    Term("exemplar", "优秀案例", "Exemplar", "做得好的服务故事。", "A service story that went well."),
    Term("lesson", "教训案例", "Lesson", "投诉中学到的教训。", "A lesson learnt from a complaint."),
)
DEFECT_CLASSES: tuple[Term, ...] = (
    Term(
        "A",
        "A 类 · 忠诚度杀手",
        "A · loyalty killer",
        "没有满足基本质量：价格错、日期或姓名订错（如：记录编号订成 10 月 19 日，出票前未核对）。",
        "Basic quality not met: a wrong price, a wrong date or name booked (e.g. booked for 19 October, "
        "issued without checking).",
    ),
    Term(
        "B",
        "B 类 · 忠诚度重伤",
        "B · loyalty badly hurt",
        "没有满足期望质量：送票不及时、态度不好、回复不及时（如：客人未取票，航班起飞后才通知）。",
        "Expected quality not met: a ticket delivered late, a poor attitude, a slow reply (e.g. told that "
        "the customer had not collected the ticket only after take-off).",
    ),
    Term(
        "C",
        "C 类 · 忠诚度小恙",
        "C · loyalty slightly hurt",
        "没有满足较高质量：卡号不正确、积分信息错误。",
        "Higher quality not met: a wrong card number, wrong points information.",
    ),
)
DEFECT_KINDS: tuple[Term, ...] = (
    Term("fault", "故障", "Fault", "客户感觉到的缺陷。", "A defect the customer felt."),
    Term(
        "hazard",
        "隐患",
        "Hidden hazard",
        "客户可能没有感觉到，但可能造成严重后果（改签退条件未说明，未按照流程操作）。",
        "The customer may not have felt it, but it could have serious consequences (change or refund "
        "conditions not explained, a procedure not followed).",
    ),
)
SERVQUAL: tuple[Term, ...] = (
    Term("reliability", "可靠性", "Reliability", "准时准确、确认保证。", "On time, accurate, confirmed."),
    Term(
        "responsiveness",
        "责任心",
        "Responsiveness",
        "帮客解困，勇担责任。",
        "Helps the customer out, takes responsibility.",
    ),
    Term("assurance", "接触感受", "Assurance", "礼貌服务，回复速度。", "Courteous, quick to reply."),
    Term("empathy", "个人关注", "Empathy", "定制服务。", "Personal, tailored service."),
    Term(
        "tangibles",
        "可见设施",
        "Tangibles",
        "房屋装修，纸张信封。",
        "What the customer sees: premises, paper, envelopes.",
    ),
)
FOUND_BY: tuple[Term, ...] = (
    Term("complaint", "客人投诉", "Customer complaint"),
    Term("feedback", "意见反馈", "Feedback from another department"),
    Term("qa_sampling", "抽查", "Quality sampling"),
)
# The two parts of what happened in a lesson, stored as its body under their markers like a story's parts.
LESSON_PARTS: tuple[Term, ...] = (
    Term(
        "happened",
        "经过",
        "What happened",
        "客人订了什么、遇到了什么？各方（客服、票台、航空公司）做了什么？",
        "What had the customer booked, what went wrong? What did each side (agents, ticket desk, airline) do?",
    ),
    Term(
        "result",
        "结果",
        "Result",
        "对客人造成了什么后果？客人怎么做、投诉了什么？",
        "What did it cost the customer? What did they do, what did they complain about?",
    ),
)

PII_LABELS: dict[str, Term] = {
    term.code: term
    for term in (
        Term("phone", "手机号", "mobile number"),
        Term("id_card", "身份证号", "ID card number"),
        Term("bank_card", "银行卡号", "bank card number"),
        Term("email", "电子邮箱", "e-mail address"),
        Term("passport", "护照号", "passport number"),
    )
}

BUSINESS_LINE_CODES = tuple(term.code for term in BUSINESS_LINES)
CHANNEL_CODES = tuple(term.code for term in CHANNELS)
PRAISE_CODES = tuple(term.code for term in PRAISE_KINDS)
ROLE_CODES = tuple(term.code for term in ROLES)
CASE_KIND_CODES = tuple(term.code for term in CASE_KINDS)
DEFECT_CLASS_CODES = tuple(term.code for term in DEFECT_CLASSES)
DEFECT_KIND_CODES = tuple(term.code for term in DEFECT_KINDS)
SERVQUAL_CODES = tuple(term.code for term in SERVQUAL)
FOUND_BY_CODES = tuple(term.code for term in FOUND_BY)
REVIEWER_ROLES = frozenset({"supervisor", "admin"})
AUTHOR_ROLES = frozenset({"agent", "supervisor", "admin"})

TERMS: dict[str, dict[str, Term]] = {
    "tag": dict(VALUE_BY_CODE),
    "behavior": BEHAVIOR_BY_CODE,
    "business_line": {term.code: term for term in BUSINESS_LINES},
    "channel": {term.code: term for term in CHANNELS},
    "praise": {term.code: term for term in PRAISE_KINDS},
    "role": {term.code: term for term in ROLES},
    "status": {term.code: term for term in STATUSES},
    "pii": PII_LABELS,
    "story_part": {term.code: term for term in STORY_PARTS + LESSON_PARTS},
    "kind": {term.code: term for term in CASE_KINDS},
    "defect_class": {term.code: term for term in DEFECT_CLASSES},
    "defect_kind": {term.code: term for term in DEFECT_KINDS},
    "servqual": {term.code: term for term in SERVQUAL},
    "found_by": {term.code: term for term in FOUND_BY},
}


def label(kind: str, code: str | None, lang: str) -> str:
    """The label of a code in the user's language, or the code itself when unknown."""
    if code is None:
        return ""
    term = TERMS[kind].get(code)
    return term.label(lang) if term else code


def canonical_tags(tags) -> list[str]:
    """Tags in the H-E-A-T order, each once."""
    chosen = set(tags)
    return [tag for tag in TAGS if tag in chosen]


def canonical_servqual(elements) -> list[str]:
    """Service-quality elements in the SERVQUAL order, each once."""
    chosen = set(elements)
    return [code for code in SERVQUAL_CODES if code in chosen]


def canonical_behaviors(behaviors) -> list[str]:
    """Behaviours in the table's order, each once."""
    chosen = set(behaviors)
    return [code for code in BEHAVIORS if code in chosen]
