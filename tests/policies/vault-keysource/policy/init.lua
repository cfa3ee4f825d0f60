-- Shape: DKIM keys and relay credentials in Vault.
local kumo = require 'kumo'
local dkim_sign = require 'policy-extras.dkim_sign'

local dkim_signer = dkim_sign:setup { '/opt/kumomta/etc/policy/dkim_data.toml' }

kumo.on('smtp_server_message_received', function(msg)
  msg:dkim_sign(kumo.dkim.rsa_sha256_signer {
    domain = msg:from_header().domain,
    selector = 'default',
    headers = { 'From', 'To', 'Subject' },
    key = {
      vault_mount = 'secret',
      vault_path = 'dkim/' .. msg:from_header().domain,
      vault_token = 'hvs.CAESIB3kLmN0pQrS7tUvWxYzAbCdEf', -- expect: KL201
    },
  })
  dkim_signer(msg)
end)

kumo.on('get_egress_path_config', function(domain, egress_source, site_name)
  return kumo.make_egress_path {
    enable_tls = 'Required',
    smtp_auth_plain_username = 'relay-user',
    smtp_auth_plain_password = '/opt/kumomta/etc/relay-password',
  }
end)
