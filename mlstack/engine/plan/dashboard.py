"""The GPU dashboard the platform ships: Grafana's dashboard JSON model rendered from
``templates/dashboards/gpu.json.j2`` (Jinja2, StrictUndefined), checked to be JSON and written canonically so
the plan stays byte-identical. The panels are data here: each reads a DCGM exporter series."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

TEMPLATE = "dashboards/gpu.json.j2"
UID = "mlstack-gpu"
#: The label the DCGM exporter itself puts on every series (the node's host name): the same on every scraper.
NODE_LABEL = "Hostname"


@dataclass(frozen=True)
class Panel:
    title: str
    expr: str
    unit: str
    description: str


PANELS = (
    Panel("GPU utilisation", f'avg by ({NODE_LABEL}, gpu) (DCGM_FI_DEV_GPU_UTIL{{{NODE_LABEL}=~"$node"}})', "percent",
          "Time the GPU was busy (DCGM_FI_DEV_GPU_UTIL). Idle GPUs on a running job usually mean a starved input pipeline."),
    Panel("Tensor core activity", f'avg by ({NODE_LABEL}, gpu) (DCGM_FI_PROF_PIPE_TENSOR_ACTIVE{{{NODE_LABEL}=~"$node"}})', "percentunit",
          "Fraction of cycles the tensor pipes were active (a profiling counter; empty where the exporter does not collect it)."),
    Panel("Framebuffer memory used", f'sum by ({NODE_LABEL}, gpu) (DCGM_FI_DEV_FB_USED{{{NODE_LABEL}=~"$node"}})', "decmbytes",
          "GPU memory in use, MiB (DCGM_FI_DEV_FB_USED)."),
    Panel("Power draw", f'sum by ({NODE_LABEL}, gpu) (DCGM_FI_DEV_POWER_USAGE{{{NODE_LABEL}=~"$node"}})', "watt",
          "Board power, W (DCGM_FI_DEV_POWER_USAGE)."),
    Panel("GPU temperature", f'max by ({NODE_LABEL}, gpu) (DCGM_FI_DEV_GPU_TEMP{{{NODE_LABEL}=~"$node"}})', "celsius",
          "Die temperature, C (DCGM_FI_DEV_GPU_TEMP); throttling starts in the high 80s on data-centre GPUs."),
    Panel("XID errors", f'max by ({NODE_LABEL}, gpu) (DCGM_FI_DEV_XID_ERRORS{{{NODE_LABEL}=~"$node"}})', "none",
          "The last XID error code (DCGM_FI_DEV_XID_ERRORS); non-zero codes such as 79 (fallen off the bus) need a node repair."),
)


def render(title: str = "GPUs (DCGM)", datasource: str = "Prometheus") -> str:
    """The dashboard JSON: rendered, parsed (a template error is caught here, not in Grafana) and re-serialised."""
    from importlib.resources import files

    import jinja2

    source = files("mlstack.templates").joinpath(TEMPLATE).read_text(encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    text = env.from_string(source).render(
        uid=UID, title=title, datasource=datasource, node_label=NODE_LABEL, panels=[asdict(p) for p in PANELS]
    )
    return json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
