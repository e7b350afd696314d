import { parseDicomWebSources } from './dicomweb-sources';

describe('parseDicomWebSources', () => {
  it('reads name → URL and name → {url, authorization}, dropping a trailing slash', () => {
    const problems: string[] = [];
    const sources = parseDicomWebSources('{"pacs": "http://pacs:8042/dicom-web/", "vna": {"url": "https://vna/rs", "authorization": "Bearer t"}}', problems);
    expect(problems).toEqual([]);
    expect(sources.get('pacs')).toEqual({ name: 'pacs', baseUrl: 'http://pacs:8042/dicom-web', authorization: null });
    expect(sources.get('vna')).toEqual({ name: 'vna', baseUrl: 'https://vna/rs', authorization: 'Bearer t' });
  });

  it('is empty when unset', () => {
    expect(parseDicomWebSources(undefined, []).size).toBe(0);
  });

  it('names each problem without echoing the authorization value', () => {
    const problems: string[] = [];
    parseDicomWebSources('{"a": "ftp://x", "b": "http://u:p@x/", "bad name": "http://x", "c": {"url": "http://x", "authorization": "secret\\n"}}', problems);
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).not.toContain('secret');
    expect(problems[0]).toContain('DICOMWEB_SOURCES.a.url');
    const notJson: string[] = [];
    parseDicomWebSources('{', notJson);
    expect(notJson[0]).toMatch(/must be JSON/);
  });
});
