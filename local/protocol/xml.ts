import { AwsError } from './errors';

/** One XML element: its local name (namespace prefix dropped), child elements and text content. */
export interface XmlElement {
  readonly name: string;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside the element, entities decoded. */
  readonly text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/**
 * Parses the small, well-formed XML documents restXml SDK clients send (CloudFront's request bodies).
 * Attributes, comments, processing instructions and namespaces are read past: request shapes carry
 * their data in elements only. Anything malformed is a `MalformedXML` error, as AWS answers.
 */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const fail = (why: string): never => {
    throw new AwsError('MalformedXML', `The XML you provided was not well-formed: ${why} at offset ${pos}.`);
  };

  const skipMisc = (): void => {
    for (;;) {
      while (pos < source.length && /\s/.test(source.charAt(pos))) pos++;
      if (source.startsWith('<?', pos)) {
        const end = source.indexOf('?>', pos);
        if (end < 0) fail('unterminated processing instruction');
        pos = end + 2;
      } else if (source.startsWith('<!--', pos)) {
        const end = source.indexOf('-->', pos);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else {
        return;
      }
    }
  };

  const element = (): XmlElement => {
    if (source.charAt(pos) !== '<') fail('expected an element');
    const open = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(
      source.slice(pos),
    );
    if (open === null) return fail('malformed start tag');
    const qname = open[1] ?? '';
    pos += open[0].length;
    const name = qname.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname;
    if (open[3] === '/') return { name, children: [], text: '' };
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (pos >= source.length) fail(`unterminated element <${qname}>`);
      if (source.startsWith('</', pos)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(source.slice(pos));
        if (close === null || close[1] !== qname) fail(`expected </${qname}>`);
        pos += close?.[0].length ?? 0;
        return { name, children, text };
      }
      if (source.startsWith('<!--', pos) || source.startsWith('<?', pos)) {
        skipMisc();
        continue;
      }
      if (source.startsWith('<![CDATA[', pos)) {
        const end = source.indexOf(']]>', pos);
        if (end < 0) fail('unterminated CDATA section');
        text += source.slice(pos + 9, end);
        pos = end + 3;
        continue;
      }
      if (source.charAt(pos) === '<') {
        children.push(element());
        continue;
      }
      const next = source.indexOf('<', pos);
      const raw = source.slice(pos, next < 0 ? source.length : next);
      text += decodeEntities(raw, fail);
      pos += raw.length;
    }
  };

  skipMisc();
  const root = element();
  skipMisc();
  if (pos !== source.length) fail('content after the root element');
  return root;
}

/** The first child element named `name`, if any. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

function decodeEntities(raw: string, fail: (why: string) => never): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (whole, entity: string | undefined) => {
    if (entity === undefined) return fail('bare "&" in text');
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? fail(`unknown entity ${whole}`);
  });
}
