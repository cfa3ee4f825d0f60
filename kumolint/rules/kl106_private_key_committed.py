"""A private key is committed to the repository.

## Why is this bad?
A private key in git is readable by everyone who can clone the repository, forever: removing
it later leaves it in history. A DKIM signing key lets anyone send mail that passes DKIM as
your domain; a TLS key lets anyone impersonate the listener. Keep keys in a secret store or
let the deployment generate them on the host, and commit only public keys and certificates.
Files encrypted with ansible-vault or sops are fine.

## Example
```pem path=keys/dkim/example.com.key
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7
-----END PRIVATE KEY-----
```

## Use instead
```pem path=keys/dkim/example.com.pub
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
-----END PUBLIC KEY-----
```

## References
- RFC 7468 (textual encodings of PKIX, PKCS and CMS structures)
"""

from __future__ import annotations

from collections.abc import Iterator

from kumolint.facts.keys import PemBlock
from kumolint.finding import Severity
from kumolint.model import RepoModel
from kumolint.registry import NoOptions, Report, rule


@rule(id="KL106", name="private-key-committed", severity=Severity.ERROR)
def check(model: RepoModel, options: NoOptions) -> Iterator[Report]:
    for block in model.of(PemBlock):
        if "PRIVATE KEY" not in block.label:
            continue
        note = " (encrypted with a passphrase, still committed)" if block.encrypted else ""
        yield Report(block.span, f"{block.label} block committed{note}", key=block.label)
