"""The deploy-time values of the secure ingress addons, as Pulumi resources and Outputs.

- the cluster CA: a pulumi-tls key and self-signed CA certificate; the key is a secret
  Output end to end (Secret object, state), the certificate is public;
- the OAuth2-Proxy client secret and cookie secret: pulumi-random, secret Outputs;
- Dex's bcrypt hashes: computed from the passwords in secret config with a salt derived
  from a random key kept in state (passwords.py says why), secret Outputs.
Generated values live in the Pulumi state, so they are the same on every run.
"""
from __future__ import annotations

import base64
import hashlib

import pulumi
import pulumi_random as random
import pulumi_tls as tls

from components.plan.addons.ingress_inputs import PLANNED, IngressInputs
from components.plan.addons.oauth2_proxy import COOKIE_SECRET_BYTES
from components.plan.addons.passwords import password_hash

CLIENT_SECRET = "oauth2-proxy-client-secret"
COOKIE_SECRET = "oauth2-proxy-cookie-secret"
JUPYTERHUB_CLIENT_SECRET = "jupyterhub-client-secret"
SALT_KEY = "dex-password-salt-key"


def ca_fingerprint(cert_pem: str) -> str:
    """Short and label-safe: goes into pod annotations and the gateway certificate's subject."""
    return "ca-" + hashlib.sha256(cert_pem.encode()).hexdigest()[:16]


def _cluster_ca(cfg, opts: pulumi.ResourceOptions):
    ca = cfg.addons.cert_manager.ca
    key = tls.PrivateKey("cluster-ca", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
    key_pem = pulumi.Output.secret(key.private_key_pem)
    cert = tls.SelfSignedCert(
        "cluster-ca", private_key_pem=key_pem, is_ca_certificate=True,
        subject={"common_name": ca.common_name, "organization": ca.organization},
        validity_period_hours=ca.validity_hours, early_renewal_hours=ca.early_renewal_hours,
        allowed_uses=["cert_signing", "crl_signing", "digital_signature"], opts=opts)
    return cert.cert_pem, key_pem, cert.cert_pem.apply(ca_fingerprint)


def secrets_digest(values: list) -> object:
    """Public: a truncated SHA-256 over values that always include a generated one (the
    client secret) reveals none of them. PLANNED while any value is not deployed."""
    if not all(isinstance(v, pulumi.Output) for v in values):
        return PLANNED
    return pulumi.Output.unsecret(pulumi.Output.all(*values).apply(
        lambda plain: "sha256-" + hashlib.sha256("\0".join(plain).encode()).hexdigest()[:16]))


def _hash(path: str, email: str, cost: int):
    def compute(args) -> str:
        password, salt_key = args
        try:
            return password_hash(password, base64.b64decode(salt_key), email, cost)
        except ValueError as err:
            raise pulumi.RunError(f"clusterforge:{path}: {err} (fix: set another password with "
                                  f"pulumi config set --secret clusterforge:{path})") from None
    return compute


def ingress_inputs(cfg, secrets: dict[str, pulumi.Output], parent: pulumi.Resource) -> IngressInputs | None:
    a = cfg.addons
    if not (a.cert_manager.enabled or a.dex.enabled or a.oauth2_proxy.enabled):
        return None
    opts = pulumi.ResourceOptions(parent=parent)
    cert_pem = key_pem = fingerprint = client_secret = cookie_secret = PLANNED
    if a.cert_manager.enabled:
        cert_pem, key_pem, fingerprint = _cluster_ca(cfg, opts)
    if a.dex.enabled or a.oauth2_proxy.enabled:
        client = random.RandomPassword(CLIENT_SECRET, length=32, special=False, opts=opts)
        cookie = random.RandomPassword(COOKIE_SECRET, length=COOKIE_SECRET_BYTES, special=False, opts=opts)
        client_secret = pulumi.Output.secret(client.result)
        cookie_secret = pulumi.Output.secret(cookie.result)
    hub_secret = None
    if a.jupyterhub.enabled:  # its own Dex client: a leaked hub secret does not open the gateway login
        hub_secret = pulumi.Output.secret(
            random.RandomPassword(JUPYTERHUB_CLIENT_SECRET, length=32, special=False, opts=opts).result)
    hashes, connector_secrets = {}, {}
    if a.dex.enabled:
        if a.dex.static_users:
            salt_key = pulumi.Output.secret(random.RandomBytes(SALT_KEY, length=32, opts=opts).base64)
        for user in a.dex.static_users:
            password = pulumi.Output.secret(secrets[user.password_secret])
            hashes[user.email] = pulumi.Output.secret(pulumi.Output.all(password, salt_key).apply(
                _hash(user.password_secret, user.email, a.dex.bcrypt_cost)))
        connector_secrets = {env: pulumi.Output.secret(secrets[key]) for env, key in a.dex.connector_secrets.items()}
    return IngressInputs(cert_pem, key_pem, fingerprint, client_secret, cookie_secret, hashes, connector_secrets,
                         hub_secret, secrets_digest)
