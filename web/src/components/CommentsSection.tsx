"use client";

import { useState } from "react";
import type { Schemas } from "@/api/client";
import { problemFrom, type ApiProblem } from "@/api/errors";
import { formatDateTime } from "@/lib/format";
import { useAuth } from "./AuthProvider";
import { FieldError, ProblemNotice } from "./Notice";

type Thread = Schemas["CommentThreadOut"];
type Comment = Schemas["CommentOut"];

/** Threaded comments: one level of replies; authors delete their own, the organiser moderates any. */
export function CommentsSection({ eventId, initial, organizerId }: { eventId: number; initial: Thread[]; organizerId: number }) {
  const { api, me } = useAuth();
  const [threads, setThreads] = useState(initial);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [replyTo, setReplyTo] = useState<number | null>(null);
  const path = { path: { event_id: eventId } };

  async function reload() {
    const { data } = await api.GET("/api/v1/events/{event_id}/comments", { params: { ...path, query: { page_size: 50 } } });
    if (data) setThreads(data.items);
  }

  async function post(form: HTMLFormElement, parentId: number | null) {
    setProblem(null);
    const content = String(new FormData(form).get("content") ?? "");
    const { error, response } = await api.POST("/api/v1/events/{event_id}/comments", {
      params: path,
      body: { content, parent_id: parentId },
    });
    if (error !== undefined) {
      setProblem(problemFrom(response.status, error, response.headers.get("retry-after")));
      return;
    }
    form.reset();
    setReplyTo(null);
    await reload();
  }

  async function remove(commentId: number) {
    await api.DELETE("/api/v1/events/{event_id}/comments/{comment_id}", {
      params: { path: { event_id: eventId, comment_id: commentId } },
    });
    await reload();
  }

  // Render helpers, not components: a component defined in here would remount (and lose typed text) per render.
  function commentBody(comment: Comment) {
    const canDelete = me && !comment.is_deleted && (me.id === comment.author?.id || me.id === organizerId);
    return (
      <div>
        <p className="muted">
          {comment.author?.username ?? "conta removida"} · {formatDateTime(comment.created_at)}
        </p>
        <p style={{ whiteSpace: "pre-line" }}>{comment.is_deleted ? <em>Comentário removido.</em> : comment.content}</p>
        {canDelete ? (
          <button type="button" className="link-button" onClick={() => void remove(comment.id)}>
            Excluir
          </button>
        ) : null}
      </div>
    );
  }

  function commentForm(parentId: number | null) {
    const id = `comentario-${parentId ?? "novo"}`;
    return (
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void post(e.currentTarget, parentId);
        }}
      >
        <label htmlFor={id}>{parentId ? "Sua resposta" : "Escreva um comentário"}</label>
        <textarea id={id} name="content" required maxLength={2000} rows={3} aria-describedby={`${id}-erro`} />
        <FieldError id={`${id}-erro`} message={problem?.fields.content} />
        <button type="submit" className="button secondary">
          Publicar
        </button>
      </form>
    );
  }

  return (
    <section aria-labelledby="comentarios">
      <h2 id="comentarios">Comentários</h2>
      <ProblemNotice problem={problem} />
      {threads.length === 0 ? <p className="muted">Seja a primeira pessoa a comentar.</p> : null}
      <ul className="list">
        {threads.map((thread) => (
          <li key={thread.id} className="card">
            {commentBody(thread)}
            {thread.replies.length > 0 ? (
              <ul className="list comment-replies">
                {thread.replies.map((reply) => (
                  <li key={reply.id}>
                    {commentBody(reply)}
                  </li>
                ))}
              </ul>
            ) : null}
            {me ? (
              replyTo === thread.id ? (
                commentForm(thread.id)
              ) : (
                <button type="button" className="link-button" onClick={() => setReplyTo(thread.id)}>
                  Responder
                </button>
              )
            ) : null}
          </li>
        ))}
      </ul>
      {me ? commentForm(null) : <p className="muted">Entre para comentar.</p>}
    </section>
  );
}
