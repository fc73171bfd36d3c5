from tests.factories import login, person_payload


async def test_register_login_me(client):
    payload = person_payload()
    r = await client.post("/api/auth/register", json=payload)
    assert r.status_code == 201, r.text
    headers = await login(client, payload["id_number"])
    me = await client.get("/api/me", headers=headers)
    assert me.json()["id_number"] == payload["id_number"]
