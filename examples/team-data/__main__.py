"""The Pulumi program: `pulumi up` in this folder (stack config: team, oidcProviderArn, oidcProviderUrl)."""

import pulumi

from team_data import TeamData, build

config = pulumi.Config()
build(
    TeamData(
        team=config.require("team"),
        oidc_provider_arn=config.require("oidcProviderArn"),
        oidc_provider_url=config.require("oidcProviderUrl"),
    )
)
