local kumo = require 'kumo'
local log_hooks = require 'policy-extras.log_hooks'
local constants = require 'constants'

log_hooks:new {
  name = 'webhook',
  batch_size = 100,
  log_parameters = { headers = { 'Subject', 'X-Campaign-ID' } },
  constructor = function(domain, tenant, campaign)
    local client = kumo.http.build_client { connection_verbose = false }
    local sender = {}
    function sender:send_batch(messages)
      local payload = {}
      for _, msg in ipairs(messages) do
        table.insert(payload, msg:get_data())
      end
      local response = client:post(constants.api_base .. '/webhooks/kumomta')
        :header('Content-Type', 'application/json')
        :header('x-kumomta-key', constants.kumomta_key)
        :body('[' .. table.concat(payload, ',') .. ']')
        :send()
      if response:status_is_success() then
        return response:status_reason()
      end
      kumo.reject(500, response:status_reason())
    end
    return sender
  end,
}
