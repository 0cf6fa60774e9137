"""A TEST DOUBLE of Dex at the API server's boundary: a local HTTPS OIDC issuer.

It serves what kube-apiserver's JWT authenticator fetches from an issuer (discovery at
/.well-known/openid-configuration, the signing keys at /keys) under a test CA, and signs ID
tokens with a test RSA key (RS256), with the claims Dex puts in them (email,
email_verified, groups). Everything the API server does with them is real.
"""
from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

KEY_ID = "fake-dex-test-key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _certificates() -> tuple[str, bytes, bytes]:
    """(CA PEM, server certificate PEM, server key PEM) for 127.0.0.1."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-dex test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (ca.public_bytes(pem).decode(), cert.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


@dataclass
class FakeIssuer:
    """Start with `start()`; `issuer` is its URL, `ca_pem` the CA its certificate is from."""

    signing_key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    issuer: str = ""
    ca_pem: str = ""
    fetched: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> "FakeIssuer":
        ca_pem, cert, key = _certificates()
        self.ca_pem = ca_pem
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                owner.fetched.append(self.path)
                if self.path == "/dex/.well-known/openid-configuration":
                    body = owner.discovery()
                elif self.path == "/dex/keys":
                    body = owner.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "cert.pem").write_bytes(cert)
            (Path(tmp) / "key.pem").write_bytes(key)
            context.load_cert_chain(Path(tmp) / "cert.pem", Path(tmp) / "key.pem")
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        # Dex's issuer is <gateway>/dex (ingress_inputs.issuer_url): the same path here.
        self.issuer = f"https://127.0.0.1:{self._server.server_address[1]}/dex"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def discovery(self) -> dict:
        return {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/keys",
                "authorization_endpoint": f"{self.issuer}/auth", "token_endpoint": f"{self.issuer}/token",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]}

    def jwks(self) -> dict:
        numbers = self.signing_key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "kid": KEY_ID, "use": "sig", "alg": "RS256",
                          "n": _int(numbers.n), "e": _int(numbers.e)}]}

    def id_token(self, email: str, groups: list[str], audience: str = "kubernetes",
                 lifetime_s: int = 600) -> str:
        """An ID token as Dex issues one to the kubectl client."""
        now = int(time.time())
        header = {"alg": "RS256", "kid": KEY_ID, "typ": "JWT"}
        claims = {"iss": self.issuer, "aud": audience, "sub": f"sub-{email}", "iat": now, "exp": now + lifetime_s,
                  "email": email, "email_verified": True, "groups": groups}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self.signing_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"
