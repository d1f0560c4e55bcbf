"""The Pulumi SDK internals the recorder relies on where no public API exists, pinned: if an SDK upgrade changes
one of them, this fails before a plan silently records wrong values."""

from __future__ import annotations

from pulumi.runtime import rpc, settings

from mlstack.engine.plan import recorder


def test_wire_signatures_are_the_protocols():
    # The values of Pulumi's property-value protocol (sdk/proto, "special signatures"): stable across SDKs.
    assert recorder._SIG_KEY == rpc._special_sig_key == "4dabf18193072939515e22adb298388d"
    assert recorder._SECRET_SIG == "1b47061264138c4ac30d75fd1eb44270"
    assert recorder._RESOURCE_SIG == "5cf8f73096256a8f31e491e813e4eb8e"
    assert recorder._OUTPUT_SIG == "d0e6a833031e9bbcd3f4e8bde6ca49a4"


def test_clean_reads_them():
    sig = recorder._SIG_KEY
    assert recorder.clean({sig: recorder._SECRET_SIG, "value": "hunter2"}) == "[secret]"
    assert recorder.clean({sig: recorder._RESOURCE_SIG, "urn": "urn:pulumi:s::p::t::n"}) == "urn:pulumi:s::p::t::n"
    assert recorder.clean({"n": 2.0, "x": [1.5]}) == {"n": 2, "x": [1.5]}


def test_the_runtime_state_a_reset_clears_exists():
    assert isinstance(settings.SETTINGS.outputs, set)
    assert callable(settings.SETTINGS.rpc_manager.clear)
    assert callable(settings.set_root_resource)
