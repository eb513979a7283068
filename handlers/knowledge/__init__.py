"""Curated Vietnamese answers (funding programmes, IP registration) with keyword routing.

Content is data (`Topic`), kept apart from the handlers so staff can review the wording in one place.
Only facts we are sure of are stated; anything that changes often (fees, calls for proposals)
points the user to the provincial Department of Science and Technology (Sở KH&CN).
"""

from handlers.knowledge.base import Topic, match_topic, render_topic

__all__ = ["Topic", "match_topic", "render_topic"]
