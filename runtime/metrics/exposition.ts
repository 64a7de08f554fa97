// Rendering the registry for Prometheus: the classic text format (0.0.4) or OpenMetrics 1.0.
// prom-client fixes the format per registry, and rendering OpenMetrics renames counter objects in
// place (it strips `_total`), which would corrupt later text scrapes of the same registry. So an
// OpenMetrics scrape renders a throwaway registry of thin views over the live metrics: the live
// objects are read, never renamed.
import { Registry, type OpenMetricsContentType } from 'prom-client';

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

export type ExpositionFormat = 'prometheus' | 'openmetrics';

interface ReadableMetric {
  name: string;
  readonly help: string;
  readonly type: string;
  get(): Promise<{ readonly name: string } & Record<string, unknown>>;
}

// prom-client writes NaN as `Nan`; Prometheus reads either, OpenMetrics allows only `NaN`.
const fixNaN = (body: string): string => body.replace(/^([^#\n][^\n]*) Nan$/gm, '$1 NaN');

export async function renderExposition(registry: Registry, format: ExpositionFormat, defaultLabels: Readonly<Record<string, string>>): Promise<{ body: string; contentType: string }> {
  if (format === 'prometheus') return { body: fixNaN(await registry.metrics()), contentType: PROMETHEUS_CONTENT_TYPE };
  const view = new Registry<OpenMetricsContentType>();
  view.setContentType(OPENMETRICS_CONTENT_TYPE);
  view.setDefaultLabels({ ...defaultLabels });
  for (const live of registry.getMetricsAsArray() as unknown as ReadableMetric[]) {
    const proxy: ReadableMetric = {
      name: live.name,
      help: live.help,
      type: live.type,
      // The renderer takes the family name from what get() returns: hand it the proxy's (possibly
      // renamed) name rather than the live one.
      get: async () => ({ ...(await live.get()), name: proxy.name }),
    };
    view.registerMetric(proxy as unknown as Parameters<typeof view.registerMetric>[0]);
  }
  return { body: fixNaN(await view.metrics()), contentType: OPENMETRICS_CONTENT_TYPE };
}
