/**
 * mod_http_openmetrics: `GET /metrics`, every metric of the process in the OpenMetrics text
 * format, as Prosody's module of the same name. Only `openmetrics_allow_ips` (default the
 * loopback addresses) and `openmetrics_allow_cidr` may read it; anyone else gets 403.
 */
import { AddressList, defineModule } from 'canto/module-api';

interface Options {
  openmetrics_allow_ips: string[];
  openmetrics_allow_cidr?: string;
}

export default defineModule<void, Options>({
  options: {
    type: 'object',
    properties: {
      openmetrics_allow_ips: { type: 'array', items: { type: 'string' }, default: ['::1', '127.0.0.1'] },
      openmetrics_allow_cidr: { type: 'string' },
    },
  },

  load(module) {
    const { openmetrics_allow_ips: ips, openmetrics_allow_cidr: cidr } = module.options;
    // The request's address is the client's (trusted_proxies applied), as Prosody's request.ip.
    const allowed = new AddressList(ips, 'openmetrics_allow_ips');
    const range = cidr === undefined ? undefined : new AddressList([cidr], 'openmetrics_allow_cidr');
    module.provides('http', {
      default_path: '/metrics',
      route: {
        GET: (request) => {
          if (!allowed.has(request.ip) && !range?.has(request.ip)) return 403;
          return {
            status: 200,
            headers: { 'Content-Type': 'application/openmetrics-text; version=0.0.4' },
            body: module.renderMetrics(),
          };
        },
      },
    });
  },
});
