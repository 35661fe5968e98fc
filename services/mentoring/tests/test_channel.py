"""The programme's content channel: posts published by the curator, one reaction per reader."""

import json
from datetime import UTC, datetime

import pytest

from mentoring.domain.channel import MAX_BODY_LENGTH, MAX_TITLE_LENGTH, Post, PostKind, PostPublished, Reaction
from shared.errors import Invalid

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def published(title: str = "How Anna shipped her first bot", body: str = "It took six weeks and two mentors.") -> Post:
    return Post.publish("post-1", "p-1", "cora", "success_story", title, body, NOW)


def test_publishing_records_post_published() -> None:
    post = published(title="  Spring news  ")

    assert post.kind is PostKind.SUCCESS_STORY
    assert post.title == "Spring news"
    assert post.published_at == NOW
    assert post.events == [PostPublished("post-1", "p-1", "success_story", "Spring news", "cora")]


@pytest.mark.parametrize("title", ["", "   ", "x" * (MAX_TITLE_LENGTH + 1)])
def test_a_title_has_1_to_200_characters(title: str) -> None:
    with pytest.raises(Invalid) as error:
        published(title=title)
    assert error.value.details["field"] == "title"


def test_the_longest_title_and_body_are_accepted() -> None:
    post = published(title="t" * MAX_TITLE_LENGTH, body="b" * MAX_BODY_LENGTH)

    assert len(post.title) == 200
    assert len(post.body) == 20_000


@pytest.mark.parametrize("body", ["", "\n\n", "b" * (MAX_BODY_LENGTH + 1)])
def test_a_body_has_1_to_20000_characters(body: str) -> None:
    with pytest.raises(Invalid) as error:
        published(body=body)
    assert error.value.details["field"] == "body"


def test_a_post_is_an_article_news_or_a_success_story() -> None:
    with pytest.raises(Invalid) as error:
        Post.publish("post-1", "p-1", "cora", "podcast", "Title", "Body", NOW)
    assert error.value.details["field"] == "kind"


def test_counts_list_every_reaction_zeros_included() -> None:
    assert published().reaction_counts() == {"like": 0, "insightful": 0, "thanks": 0}


def test_each_reader_has_one_reaction_and_a_new_one_replaces_the_old() -> None:
    post = published()
    post.events.clear()

    post.react("mia", "like")
    post.react("max", "like")
    post.react("mia", "thanks")

    assert post.reaction_of("mia") is Reaction.THANKS
    assert post.reaction_counts() == {"like": 1, "insightful": 0, "thanks": 1}
    assert post.events == []  # reactions are not news


def test_taking_a_reaction_back_removes_it_from_the_counts() -> None:
    post = published()
    post.react("mia", "insightful")

    post.unreact("mia")
    post.unreact("mia")  # twice is harmless
    post.unreact("never-reacted")

    assert post.reaction_of("mia") is None
    assert post.reaction_counts() == {"like": 0, "insightful": 0, "thanks": 0}


def test_an_unknown_reaction_is_refused() -> None:
    post = published()
    with pytest.raises(Invalid) as error:
        post.react("mia", "angry")
    assert error.value.details["field"] == "reaction"
    assert post.reaction_of("mia") is None


def test_the_state_round_trips_through_plain_json() -> None:
    post = published()
    post.react("mia", "like")
    post.react("a.b$c", "thanks")  # characters unsafe in document keys

    state = json.loads(json.dumps(post.to_state()))

    assert Post.from_state("post-1", state) == post
    assert "a.b$c" not in _keys(state)


def _keys(data: object) -> set[str]:
    """Every mapping key anywhere in the data: what a document store would have to accept."""
    if isinstance(data, dict):
        return set(data) | {key for value in data.values() for key in _keys(value)}
    if isinstance(data, list):
        return {key for item in data for key in _keys(item)}
    return set()


def test_an_erased_readers_reaction_stays_counted_under_the_stand_in() -> None:
    post = published()
    post.react("mia", "like")
    post.react("max", "thanks")

    assert post.erase_person("mia", "former-employee-1") is True

    assert post.reaction_of("mia") is None
    assert post.reaction_of("former-employee-1") is Reaction.LIKE
    assert post.reaction_counts() == {"like": 1, "insightful": 0, "thanks": 1}
    assert "mia" not in json.dumps(post.to_state())


def test_an_erased_author_is_replaced() -> None:
    post = published()

    assert post.erase_person("cora", "former-employee-2") is True
    assert post.author_id == "former-employee-2"


def test_erasing_someone_not_on_the_post_changes_nothing() -> None:
    post = published()
    post.react("max", "like")
    before = post.to_state()

    assert post.erase_person("mia", "former-employee-3") is False
    assert post.to_state() == before
