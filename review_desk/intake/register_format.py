"""The register (申报汇总表): its columns, the names people give them, and the
vocabularies of its cells.

The template that ``review-desk template register`` writes uses the first header name of
each column; import also accepts the other names, compared after :func:`fold`.
"""

from __future__ import annotations

from dataclasses import dataclass

from review_desk.domain import ApplicantKind, Level
from review_desk.intake.text_normalize import fold


@dataclass(frozen=True)
class RegisterColumn:
    """A column of the register."""

    key: str
    headers: tuple[str, ...]  # the template's header first, then accepted variants
    required: bool
    width: int
    hint: str  # for the instructions sheet and the header comment

    @property
    def header(self) -> str:
        """The header the template writes."""
        return self.headers[0]


COLUMNS: tuple[RegisterColumn, ...] = (
    RegisterColumn("seq", ("序号", "编号", "No."), False, 6, "可不填。"),
    RegisterColumn(
        "applicant",
        (
            "牵头申报主体",
            "申报主体",
            "申报主体名称",
            "牵头单位",
            "申报单位",
            "单位名称",
            "揭榜主体",
        ),
        True,
        30,
        "牵头申报单位的全称，与营业执照或法人证书一致。",
    ),
    RegisterColumn(
        "credit_code",
        ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码"),
        True,
        22,
        "18 位统一社会信用代码（GB 32100-2015），末位为校验码。",
    ),
    RegisterColumn(
        "kind",
        ("主体类型", "申报主体类型", "单位类型", "单位性质", "类型"),
        True,
        14,
        "从下拉列表选择：市人民政府、行业骨干企业、普通本科、应用型本科、高职高专、开发区、专业服务商。",
    ),
    RegisterColumn(
        "city",
        ("所在城市", "所在地市", "所在市", "地市", "城市", "所属地市"),
        True,
        10,
        "山西省 11 个设区市之一；省外专业服务商可不填。",
    ),
    RegisterColumn(
        "direction",
        ("产业方向", "申报产业方向", "产业集群方向", "申报方向", "方向"),
        True,
        24,
        "附件1 的序号或名称（如 7、新能源）；同时申报多个方向时用顿号分隔，每个方向生成一份申报。",
    ),
    RegisterColumn(
        "level",
        ("申报级别", "级别", "申报层级"),
        True,
        10,
        "省级、市级或县级。",
    ),
    RegisterColumn(
        "platform_name",
        ("平台载体名称", "平台名称", "基地名称", "平台载体和实训基地名称", "项目名称"),
        False,
        34,
        "可不填，默认为“申报主体+产业方向+产教融合实训基地”。",
    ),
    RegisterColumn(
        "partners",
        ("合作单位", "参与单位", "合作方", "联合申报单位"),
        False,
        34,
        "多个单位用顿号分隔；可在名称后用括号写统一社会信用代码，如：某某学院（12140000XXXXXXXXXX）。",
    ),
    RegisterColumn(
        "policy_list",
        ("地市政府支持政策清单", "支持政策清单", "政策清单"),
        True,
        12,
        "是否已有地市政府（省直单位）支持政策清单：是 / 否。",
    ),
    RegisterColumn(
        "pilot_enterprise",
        ("试点企业入库情况", "省级产教融合型试点企业", "试点企业"),
        False,
        14,
        "企业填写：已纳入 / 同步申请 / 未纳入。",
    ),
    RegisterColumn(
        "local_presence",
        ("山西本地化情况", "本地化情况", "山西子公司"),
        False,
        18,
        "专业服务商填写：山西本地 / 山西子公司 / 世界500强本地团队 / 无。",
    ),
    RegisterColumn(
        "majors",
        ("骨干专业群所属大类", "骨干学科专业群", "专业大类", "对接专业大类"),
        False,
        26,
        "院校填写骨干专业群所属专业大类，多个用顿号分隔，如：装备制造大类、交通运输大类。",
    ),
    RegisterColumn(
        "double_high",
        ("双高计划", "双高计划建设单位", "双高"),
        False,
        10,
        "高职院校填写：国家级 / 省级 / 否。",
    ),
    RegisterColumn(
        "tech_transfer",
        ("重大科技转化成果", "科技转化成果", "重大科技成果转化"),
        False,
        12,
        "普通本科填写：有 / 无。",
    ),
    RegisterColumn("contact_name", ("联系人",), False, 10, ""),
    RegisterColumn("contact_phone", ("联系电话", "电话", "手机"), False, 16, ""),
    RegisterColumn(
        "files",
        ("材料文件", "申报材料文件", "文件名", "PDF文件"),
        False,
        40,
        "材料 PDF 的文件名（在材料文件夹中），多个用分号分隔；不填时按文件命名规则匹配。",
    ),
    RegisterColumn(
        "received_at",
        ("收到时间", "报送时间", "提交时间", "接收时间"),
        False,
        18,
        "材料收到的日期时间，如 2022-01-20 16:30；不填则为导入时间。",
    ),
)

COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
_HEADER_INDEX = {fold(h).lower(): c.key for c in COLUMNS for h in c.headers}


def column_for_header(text: str) -> str | None:
    """Return the column key a header cell names, or None."""
    folded = fold(text).lower().rstrip("*＊:：")
    folded = folded.replace("(必填)", "").replace("（必填）", "")
    return _HEADER_INDEX.get(folded)


# Vocabularies: what people write -> our codes.
KIND_WORDS: dict[str, ApplicantKind] = {
    **{
        w: ApplicantKind.CITY_GOVERNMENT
        for w in ("市人民政府", "市政府", "地市政府", "人民政府", "政府")
    },
    **{w: ApplicantKind.ENTERPRISE for w in ("行业骨干企业", "骨干企业", "企业")},
    **{
        w: ApplicantKind.UNIVERSITY
        for w in ("普通本科", "普通本科高校", "普通本科学校", "本科高校")
    },
    **{
        w: ApplicantKind.APPLIED_UNIVERSITY
        for w in ("应用型本科", "应用型本科高校", "应用型本科院校")
    },
    **{
        w: ApplicantKind.VOCATIONAL_COLLEGE
        for w in ("高职高专", "高职高专院校", "高职院校", "高职", "职业院校", "高等职业院校")
    },
    **{w: ApplicantKind.DEVELOPMENT_ZONE for w in ("开发区", "各类开发区", "经济开发区", "高新区")},
    **{
        w: ApplicantKind.SERVICE_PROVIDER
        for w in ("专业服务商", "服务商", "专业服务机构", "相关机构")
    },
}
KIND_TEMPLATE_WORDS = {
    ApplicantKind.CITY_GOVERNMENT: "市人民政府",
    ApplicantKind.ENTERPRISE: "行业骨干企业",
    ApplicantKind.UNIVERSITY: "普通本科",
    ApplicantKind.APPLIED_UNIVERSITY: "应用型本科",
    ApplicantKind.VOCATIONAL_COLLEGE: "高职高专",
    ApplicantKind.DEVELOPMENT_ZONE: "开发区",
    ApplicantKind.SERVICE_PROVIDER: "专业服务商",
}
LEVEL_WORDS: dict[str, Level] = {
    "省级": Level.PROVINCIAL,
    "省": Level.PROVINCIAL,
    "市级": Level.MUNICIPAL,
    "市": Level.MUNICIPAL,
    "县级": Level.COUNTY,
    "县": Level.COUNTY,
    "县区级": Level.COUNTY,
}
YES_WORDS = {"是", "有", "已有", "具备", "y", "yes", "true", "1", "√", "✓"}
NO_WORDS = {"否", "无", "没有", "不具备", "n", "no", "false", "0", "×", "x"}
PILOT_WORDS = {
    "已纳入": "in_pool",
    "已入库": "in_pool",
    "是": "in_pool",
    "纳入": "in_pool",
    "同步申请": "applying",
    "申请中": "applying",
    "同步提交入库申请": "applying",
    "未纳入": "none",
    "否": "none",
    "无": "none",
}
LOCAL_PRESENCE_WORDS = {
    "山西本地": "shanxi_based",
    "本地企业": "shanxi_based",
    "山西本地企业": "shanxi_based",
    "山西子公司": "shanxi_subsidiary",
    "子公司": "shanxi_subsidiary",
    "有山西子公司": "shanxi_subsidiary",
    "世界500强本地团队": "global500_local_team",
    "世界500强": "global500_local_team",
    "本地化服务体系和团队": "global500_local_team",
    "无": "none",
    "否": "none",
}
DOUBLE_HIGH_WORDS = {
    "国家级": "national",
    "国家": "national",
    "国家双高": "national",
    "省级": "provincial",
    "省": "provincial",
    "省级双高": "provincial",
    "否": None,
    "无": None,
    "": None,
}
