import type { Metadata } from "next";
import { serverApi } from "@/api/client";
import { formatDate, formatNumber } from "@/lib/format";
import { load } from "@/lib/server";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ username: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Perfil de ${decodeURIComponent((await params).username)}` };
}

export default async function ProfilePage({ params }: Props) {
  const username = decodeURIComponent((await params).username);
  const profile = await load(serverApi().GET("/api/v1/users/{username}", { params: { path: { username } } }));
  const name = [profile.first_name, profile.last_name].filter(Boolean).join(" ") || profile.username;
  return (
    <>
      <h1>{name}</h1>
      <p className="muted">
        @{profile.username}
        {profile.city ? ` · ${profile.city}/${profile.state}` : ""} · desde {formatDate(profile.date_joined)}
      </p>
      {profile.bio ? <p>{profile.bio}</p> : null}
      {profile.stats ? (
        <ul className="figures">
          <li>
            <strong>{profile.stats.events_attended}</strong> mutirões
          </li>
          <li>
            <strong>{formatNumber(profile.stats.hours_volunteered)}</strong> horas
          </li>
          <li>
            <strong>{profile.stats.events_organized}</strong> organizados
          </li>
          <li>
            <strong>{formatNumber(profile.stats.trees_planted)}</strong> árvores
          </li>
        </ul>
      ) : null}
      {profile.badges && profile.badges.length > 0 ? (
        <>
          <h2>Conquistas</h2>
          <ul className="list grid two">
            {profile.badges.map(({ badge }) => (
              <li key={badge.slug} className="card">
                <h3>{badge.name}</h3>
                <p className="muted">{badge.description}</p>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}
