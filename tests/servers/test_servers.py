"""The server helpers do what fault tests will rely on: real processes that die, hang and come back."""

import smtplib
import threading

import psycopg
import pytest
from django.core.mail import send_mail

from tests.servers.redis import resp_command
from tests.support.polling import wait_for

# The harness's own servers killed, paused and failed over: seconds each, and only harness changes need them.
pytestmark = pytest.mark.slow


def test_redis_server_is_empty_for_each_test(redis_server):
    assert redis_server.command("DBSIZE") == 0
    assert redis_server.command("SET", "left-behind", "1") == "OK"


def test_redis_server_comes_back_on_the_same_port_after_a_kill(redis_server):
    port = redis_server.port
    redis_server.kill()
    with pytest.raises(OSError):
        resp_command(port, "PING")

    redis_server.start()

    assert redis_server.port == port
    assert redis_server.command("PING") == "PONG"


def test_sentinels_promote_the_replica_when_the_master_dies(redis_factory):
    master = redis_factory.server()
    replica = redis_factory.server(replica_of=master)
    sentinels = redis_factory.sentinels(master, 3, down_after_ms=500, failover_timeout_ms=2000)
    master.command("SET", "k", "v")
    master.wait_replicated()  # the replica has the write before the master dies

    master.kill()

    wait_for(lambda: sentinels[0].master_address() == replica.address, timeout_s=30, what="Sentinel failover")
    assert replica.command("GET", "k") == "v"  # replicated before the crash, now on the new master


def test_smtp_server_receives_what_django_sends(smtp_server):
    send_mail("Inscrição confirmada", "Até sábado!", "nao-responda@mutiroes.org", ["ana@example.org"])

    [message] = smtp_server.wait_for(1)
    assert message.subject == "Inscrição confirmada"
    assert message.rcpt_tos == ["ana@example.org"]
    assert "Até sábado!" in message.text()


def test_smtp_server_can_refuse_and_go_down(smtp_server):
    smtp_server.reply = "451 4.3.0 try again later"
    with pytest.raises(smtplib.SMTPDataError), smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as smtp:
        smtp.sendmail("a@example.org", ["b@example.org"], "Subject: x\r\n\r\ny")

    smtp_server.stop()
    with pytest.raises(OSError):
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=2)
    assert smtp_server.messages == []


def test_postgres_cluster_keeps_committed_rows_across_a_kill(postgres_cluster):
    with postgres_cluster.connect() as conn:
        conn.execute("CREATE TABLE outbox (id int PRIMARY KEY)")
        conn.execute("INSERT INTO outbox VALUES (1)")
    url = postgres_cluster.url()

    postgres_cluster.kill()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    postgres_cluster.start()

    assert postgres_cluster.url() == url
    with postgres_cluster.connect() as conn:
        assert conn.execute("SELECT id FROM outbox").fetchall() == [(1,)]


def test_postgres_cluster_pause_freezes_open_connections_too(postgres_cluster):
    conn = postgres_cluster.connect()
    answered = threading.Event()

    postgres_cluster.pause()
    worker = threading.Thread(target=lambda: (conn.execute("SELECT 1"), answered.set()), daemon=True)
    worker.start()
    frozen = not answered.wait(1.0)
    postgres_cluster.resume()

    assert frozen, "a backend kept answering while the server was paused"
    assert answered.wait(10)
    conn.close()
