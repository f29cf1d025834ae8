"""The deterministic command grammar: text in, a typed Intent out, no LLM.

``parse`` never raises. ``intent_json`` gives the flat JSON form the CLI prints and the evaluation compares.
"""

from agent.grammar.parser import parse
from agent.grammar.suggest import suggest
from agent.intents import Intent, intent_json

__all__ = ["Intent", "intent_json", "parse", "suggest"]
