"""The stages of a zero-document pre-booking work order, in plain words.

`steps` name the knowledge-base step(s) whose time limit applies while an order waits in the
stage (matched against `Fact.step` of time_limit/step facts); `dispatch` marks the stage that
the document's 派单时限 (booking/dispatch fact) governs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    id: str
    name: str
    customer_text: str
    steps: tuple[str, ...] = ()
    dispatch: bool = False
    final: bool = False


STAGES: tuple[Stage, ...] = (
    Stage("submitted", "已预约", "预约已登记，正在派单给客户经理", dispatch=True),
    Stage("dispatched", "已派单", "已派给客户经理，客户经理将联系您并上门收取资料", steps=("现场勘查", "上门收资")),
    Stage("accepted", "已受理", "资料已收齐、申请已受理，正在答复供电方案", steps=("供电方案答复", "方案答复")),
    Stage("scheme_replied", "方案已答复", "供电方案已答复，等待您的工程设计和施工", steps=("设计审查", "设计文件审查")),
    Stage("inspection", "竣工检验", "工程已竣工，正在安排竣工检验", steps=("竣工检验",)),
    Stage("connecting", "装表接电", "正在安排装表接电", steps=("装表接电",)),
    Stage("completed", "已接电", "已装表接电，业务办结", final=True),
    Stage("cancelled", "已取消", "预约已取消", final=True),
)

BY_ID = {stage.id: stage for stage in STAGES}
FLOW = tuple(stage.id for stage in STAGES if stage.id != "cancelled")


class UnknownStage(ValueError):
    pass


def stage(stage_id: str) -> Stage:
    try:
        return BY_ID[stage_id]
    except KeyError:
        raise UnknownStage(f"unknown stage {stage_id!r}; stages: {', '.join(BY_ID)}") from None


def next_stage(stage_id: str) -> str | None:
    """The next stage in the normal flow, None at the end."""
    if stage(stage_id).final:
        return None
    return FLOW[FLOW.index(stage_id) + 1]


def allowed_moves(stage_id: str) -> tuple[str, ...]:
    """Stages reachable from a stage: any later stage of the flow (steps may be skipped), or cancel."""
    if stage(stage_id).final:
        return ()
    later = FLOW[FLOW.index(stage_id) + 1:]
    return (*later, "cancelled")
