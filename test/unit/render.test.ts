import { describe, expect, it } from 'vitest';
import { mediaUrl, renderMarkdown } from '../../shared/lesson/render.ts';

describe('step text rendering (shared by learner views and the editor preview)', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['[a](javascript:alert(1))', '[a](javascript:alert(1))'],
    ['[a](JaVaScRiPt:alert(1))', '[a](JaVaScRiPt:alert(1))'],
    ['[a](data:text/html,hi)', '[a](data:text/html,hi)'],
    ['[a](vbscript:x)', '[a](vbscript:x)'],
  ])('neutralises %s', (text, shown) => {
    const html = renderMarkdown(text);
    expect(html).toContain(shown);
    expect(html).not.toMatch(/<script|<img|href="(?:javascript|data|vbscript)/i);
  });

  it('keeps safe links, opening outside the class page; no pictures from the text', () => {
    expect(renderMarkdown('[Cổng dịch vụ](https://dichvucong.gov.vn)')).toBe(
      '<p><a href="https://dichvucong.gov.vn" target="_blank" rel="noopener noreferrer">Cổng dịch vụ</a></p>\n',
    );
    expect(renderMarkdown('[Gọi](tel:19001234)')).toContain('href="tel:19001234"');
    expect(renderMarkdown('![x](http://example.com/a.png)')).not.toContain('<img');
    expect(renderMarkdown('Dòng 1\nDòng 2')).toBe('<p>Dòng 1<br>\nDòng 2</p>\n');
    expect(mediaUrl('anh-1.png')).toBe('/media/anh-1.png');
  });
});
