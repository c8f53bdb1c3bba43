"""Comments: one level of replies, who may write and remove, soft deletes that keep a thread's shape."""

import pytest

from mutiroes.core.exceptions import Forbidden, NotFound, ValidationFailed
from mutiroes.events.models import Comment
from mutiroes.events.selectors_community import comment_thread_list
from mutiroes.events.services_community import comment_create, comment_delete

pytestmark = [pytest.mark.domain, pytest.mark.django_db]


def _say(event, user, content="Vou levar luvas!", parent=None):
    return comment_create(event_id=event.id, user=user, content=content, parent_id=parent.pk if parent else None)


def test_anyone_who_sees_the_event_comments_and_replies(event, user_factory):
    visitor, neighbour = user_factory(), user_factory()  # neither takes part
    top = _say(event, visitor)
    reply = _say(event, neighbour, "Eu também", parent=top)
    assert (top.parent_id, reply.parent_id, reply.author_id) == (None, top.pk, neighbour.pk)


def test_a_reply_to_a_reply_is_refused(event, user_factory):
    top = _say(event, user_factory())
    reply = _say(event, user_factory(), parent=top)
    with pytest.raises(ValidationFailed) as caught:
        _say(event, user_factory(), parent=reply)
    assert "parent_id" in caught.value.details
    assert Comment.objects.count() == 2


def test_the_parent_must_belong_to_the_same_event(event, event_factory, user_factory):
    elsewhere = _say(event_factory(), user_factory())
    with pytest.raises(ValidationFailed):
        _say(event, user_factory(), parent=elsewhere)


def test_a_removed_comment_takes_no_replies(event, user_factory):
    author = user_factory()
    top = _say(event, author)
    comment_delete(event_id=event.id, comment_id=top.pk, user=author)
    with pytest.raises(ValidationFailed):
        _say(event, user_factory(), parent=top)


def test_invisible_events_take_no_comments(event_factory, user_factory):
    draft = event_factory(status="draft")
    with pytest.raises(NotFound):
        _say(draft, user_factory())
    _say(draft, draft.organizer)  # the organiser sees their draft and may note things down


def test_author_removes_own_comment_softly(event, user_factory):
    author = user_factory()
    comment = _say(event, author, "número de telefone errado: 9999-0000")
    comment_delete(event_id=event.id, comment_id=comment.pk, user=author)
    comment_delete(event_id=event.id, comment_id=comment.pk, user=author)  # again: already gone, no error

    row = Comment.objects.get(pk=comment.pk)
    assert row.is_deleted and row.content == "" and row.deleted_by_id == author.pk


def test_others_cannot_remove_a_comment(event, user_factory, participation_factory):
    comment = _say(event, user_factory())
    participant = user_factory()
    participation_factory(event=event, user=participant)
    for user in (user_factory(), participant):
        with pytest.raises(Forbidden):
            comment_delete(event_id=event.id, comment_id=comment.pk, user=user)
    assert not Comment.objects.get(pk=comment.pk).is_deleted


def test_organizer_moderates_comments_of_own_event_only(event, event_factory, user_factory):
    comment = _say(event, user_factory())
    comment_delete(event_id=event.id, comment_id=comment.pk, user=event.organizer)
    assert Comment.objects.get(pk=comment.pk).deleted_by_id == event.organizer_id

    other_organizer = event_factory().organizer
    kept = _say(event, user_factory())
    with pytest.raises(Forbidden):
        comment_delete(event_id=event.id, comment_id=kept.pk, user=other_organizer)


def test_a_comment_is_removed_only_through_its_own_event(event, event_factory, user_factory):
    author = user_factory()
    comment = _say(event, author)
    with pytest.raises(NotFound):
        comment_delete(event_id=event_factory(organizer=author).id, comment_id=comment.pk, user=author)


def test_threads_list_newest_first_with_replies_oldest_first(event, user_factory):
    ana, bia = user_factory(), user_factory()
    first = _say(event, ana, "primeiro")
    second = _say(event, bia, "segundo")
    replies = [_say(event, bia, "r1", parent=first), _say(event, ana, "r2", parent=first)]

    threads = list(comment_thread_list(event=event))

    assert [t.pk for t in threads] == [second.pk, first.pk]
    assert [r.pk for r in threads[1].replies.all()] == [r.pk for r in replies]


def test_removed_comments_keep_the_thread_shape_only_while_they_have_replies(event, user_factory):
    author = user_factory()
    with_reply, alone = _say(event, author), _say(event, author)
    reply = _say(event, user_factory(), parent=with_reply)
    removed_reply_parent = _say(event, author)
    removed_reply = _say(event, author, parent=removed_reply_parent)
    for comment in (with_reply, alone, removed_reply):
        comment_delete(event_id=event.id, comment_id=comment.pk, user=author)

    threads = {t.pk: t for t in comment_thread_list(event=event)}

    assert set(threads) == {with_reply.pk, removed_reply_parent.pk}
    assert threads[with_reply.pk].is_deleted and [r.pk for r in threads[with_reply.pk].replies.all()] == [reply.pk]
    assert list(threads[removed_reply_parent.pk].replies.all()) == []


def test_thread_list_costs_the_same_queries_for_many_comments(event, user_factory, django_assert_num_queries):
    users = [user_factory() for _ in range(4)]
    for user in users:
        top = _say(event, user)
        for other in users:
            _say(event, other, parent=top)

    with django_assert_num_queries(2):  # the page, then every reply of it with its author
        threads = list(comment_thread_list(event=event))
        authors = {r.author.username for t in threads for r in t.replies.all()} | {t.author.username for t in threads}

    assert len(authors) == 4
