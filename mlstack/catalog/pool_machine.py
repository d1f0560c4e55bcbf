"""The machine an accelerator pool runs on: the catalogue's offer, or one the spec names directly (the escape hatch
where the catalogue is short: a machine type or a GPU count it does not list).

``pool_machine`` is the one place both the spec rules and the target mappings ask, so validate and plan agree.
For a machine the catalogue does not list it checks what it can (the machine is not one the catalogue knows to
carry another accelerator or none; its family is one the catalogue knows to carry this accelerator) and returns
what it could not check, which ``validate`` and ``plan`` print as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlstack.catalog.checks import _get
from mlstack.catalog.models import Catalog, CatalogError


@dataclass(frozen=True)
class PoolMachine:
    """A pool's machine type and accelerators per node.

    Attributes:
        machine_type: the cloud's machine type.
        count: accelerators per node.
        ami_type: aws: the EKS AMI type (the accelerator's, from its listed offers); None elsewhere.
        gcp_accelerator_type: gcp: the guest accelerator type (from the accelerator's listed offers).
        listed: the catalogue lists this machine with this count (its shape, price and networking are known).
        unchecked: what mlstack could not check about a machine the catalogue does not list ("" when listed).
    """

    machine_type: str
    count: int
    ami_type: str | None = None
    gcp_accelerator_type: str | None = None
    listed: bool = True
    unchecked: str = ""


def family(machine_type: str) -> str:
    """A machine type's family: the part before the size (``p5`` of ``p5.4xlarge``, ``a3-highgpu`` of
    ``a3-highgpu-4g``, ``n1-standard`` of ``n1-standard-8``)."""
    if "." in machine_type:
        return machine_type.split(".", 1)[0]
    return machine_type.rsplit("-", 1)[0]


def pool_machine(cat: Catalog, accelerator: str, cloud: str, count: int | None, machine: str | None) -> PoolMachine:
    """The machine of a pool of ``accelerator`` on ``cloud`` (``count`` per node, ``machine`` if the spec names one).

    Raises:
        CatalogError: the catalogue does not offer the accelerator on the cloud; it lists no machine with that
            count (and the spec names none); or the named machine contradicts what the catalogue knows.
    """
    acc = cat._accelerator(accelerator)
    offers = _get(acc.offers, cloud) or []
    if not offers:
        where = ", ".join(cat.clouds_for(accelerator)) or "no cloud"
        raise CatalogError(f"{accelerator} is not offered on {cloud} in the catalogue (it is on {where}), so mlstack "
                           "does not know the node image or accelerator type its nodes need")
    if machine is None:
        offer = cat.machine_for(accelerator, cloud, count if count is not None else min(o.count for o in offers))
        return PoolMachine(offer.machine_type, offer.count, offer.ami_type, offer.gcp_accelerator_type)
    listed = next((o for o in offers if o.machine_type == machine), None)
    if listed is not None:
        if count is not None and count != listed.count:
            raise CatalogError(f"{machine} carries {listed.count} x {accelerator} (the catalogue lists it), not {count}. "
                               f"Set gpus_per_node: {listed.count}, or remove gpus_per_node")
        return PoolMachine(listed.machine_type, listed.count, listed.ami_type, listed.gcp_accelerator_type)
    _contradiction(cat, accelerator, cloud, machine)
    if count is None:
        raise CatalogError(f"{machine} is not in the catalogue, so mlstack cannot know how many {accelerator} it "
                           "carries: set gpus_per_node")
    families = sorted({family(o.machine_type) for o in offers})
    fam = family(machine)
    known = fam in families
    if not known and fam in _families_of_others(cat, accelerator, cloud):
        carries = ", ".join(_families_of_others(cat, accelerator, cloud)[fam])
        raise CatalogError(f"{fam} machines carry {carries} in the catalogue, not {accelerator}; {accelerator} is on "
                           f"{', '.join(families)} machines. Name one of those, or another accelerator")
    checked = f"its family {fam} carries {accelerator}" if known else f"the catalogue knows no {fam} machines"
    unchecked = (f"{machine} is not in the catalogue ({checked}): mlstack could not check that it exists in the "
                 f"region with {count} x {accelerator}, its vCPUs and memory, its price (cost shows it as unknown) "
                 "or its fast networking (multi_node stays off unless the catalogue lists it)")
    sample = offers[0]
    return PoolMachine(machine, count, sample.ami_type, sample.gcp_accelerator_type, listed=False, unchecked=unchecked)


def _contradiction(cat: Catalog, accelerator: str, cloud: str, machine: str) -> None:
    """Refuse a machine the catalogue knows to carry another accelerator, or none."""
    if machine in (_get(cat.machines, cloud) or {}):
        raise CatalogError(f"{machine} is a CPU machine type (the catalogue lists it without accelerators). Name a "
                           f"machine that carries {accelerator} (`mlstack catalog accelerators --cloud {cloud}`), or "
                           "remove accelerator for a CPU pool")
    for name, other in sorted(cat.accelerators.items()):
        for offer in _get(other.offers, cloud) or []:
            if offer.machine_type == machine and name != accelerator:
                raise CatalogError(f"{machine} carries {offer.count} x {name} (the catalogue lists it), not {accelerator}")


def _families_of_others(cat: Catalog, accelerator: str, cloud: str) -> dict[str, list[str]]:
    """Machine families -> the other accelerators the catalogue lists on them, on ``cloud``."""
    out: dict[str, set[str]] = {}
    for name, other in cat.accelerators.items():
        if name == accelerator:
            continue
        for offer in _get(other.offers, cloud) or []:
            out.setdefault(family(offer.machine_type), set()).add(name)
    return {k: sorted(v) for k, v in out.items()}
