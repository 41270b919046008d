"""sim: an agent-based simulation of WeChat-style social commerce.

Micro-business sellers market to their friends; as marketing density rises,
friends' trust erodes and they mute or unfriend; the platform's policy
(laissez-faire, rectification, a separate shop, C2B) shapes the outcome.
See README.md and docs/ODD.md.
"""
