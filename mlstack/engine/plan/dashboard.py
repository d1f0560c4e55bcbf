"""The GPU dashboard the platform ships: Grafana's dashboard JSON model rendered from
``templates/dashboards/gpu.json.j2`` (Jinja2, StrictUndefined), checked to be JSON and written canonically so
the plan stays byte-identical. The panels are data here: each reads a DCGM exporter series.

The text is a pure function of the template, this module and the Jinja2 release, so with the command line's
cache on (``mlstack.derived``) a plan reads the text an earlier run rendered instead of importing Jinja2 and
compiling the template (about a fiftieth of a plan's CPU); tests compare the two byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

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
    """The dashboard JSON: rendered, parsed (a template error is caught here, not in Grafana) and re-serialised;
    an earlier run's text when the command line's cache holds it for the same template, code and Jinja2."""
    from mlstack import derived

    if not derived.active():
        return _render(title, datasource)
    import importlib.util
    import sys

    jinja = importlib.util.find_spec("jinja2")  # its __init__ names the release: no import needed for the key
    files = [_template(), Path(__file__).resolve(), *([Path(jinja.origin)] if jinja and jinja.origin else [])]
    key = derived.source_key("dashboard", files, title, datasource, sys.version)
    return derived.cached("dashboard", key, lambda: _render(title, datasource), lambda text: text, _checked)


def _template() -> Path:
    from importlib.resources import files

    return Path(str(files("mlstack.templates").joinpath(TEMPLATE)))


def _checked(text: str) -> str | None:
    """A stored entry as it is when it is the canonical JSON ``_render`` writes; None (a miss) otherwise."""
    return text if json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n" == text else None


def _render(title: str, datasource: str) -> str:
    import jinja2

    source = _template().read_text(encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    text = env.from_string(source).render(
        uid=UID, title=title, datasource=datasource, node_label=NODE_LABEL, panels=[asdict(p) for p in PANELS]
    )
    return json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
