local kumo = require 'kumo'
local config = require 'config'

local M = {}

function M.fetch_dkim_key(domain)
  local client = kumo.http.build_client {}
  local response = client
    :get(config.CONTROL_PLANE_URL .. '/internal/dkim/' .. domain)
    :header('Authorization', 'Bearer ' .. config.INTERNAL_SERVICE_KEY)
    :send()
  if not response:status_is_success() then
    return nil
  end
  return response:text()
end

function M.sign(msg)
  local pem = M.fetch_dkim_key(msg:from_header().domain)
  if pem then
    msg:dkim_sign(kumo.dkim.rsa_sha256_signer {
      domain = msg:from_header().domain,
      selector = 'kb1',
      headers = { 'From', 'To', 'Subject', 'Date' },
      key = { key_data = pem },
    })
  end
end

return M
