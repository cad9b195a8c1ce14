import { classifyFrame } from '../../ingest-task/frames/closed-frame-filter';

function frame(x: string, symbol = 'BNBBTC', extra = ''): string {
  return (
    `{"stream":"${symbol.toLowerCase()}@kline_1m","data":{"e":"kline","E":1672515782136,"s":"${symbol}","k":{"t":1672515780000,"T":1672515839999,` +
    `"s":"${symbol}","i":"1m","f":100,"L":200,"o":"0.00100000","c":"0.00200000","h":"0.00300000","l":"0.00050000","v":"1000.00000000",` +
    `"n":100,"x":${x},"q":"1.00000000","V":"500.00000000","Q":"0.50000000","B":"123456"${extra}}}}`
  );
}

describe('classifyFrame', () => {
  it('skips an intermediate update (x:false) without parsing', () => {
    expect(classifyFrame(Buffer.from(frame('false')))).toBe('skip');
  });

  it('marks a closing update (x:true) as a candidate', () => {
    expect(classifyFrame(Buffer.from(frame('true')))).toBe('candidate');
  });

  it('accepts strings as well as buffers', () => {
    expect(classifyFrame(frame('true'))).toBe('candidate');
    expect(classifyFrame(frame('false'))).toBe('skip');
  });

  it('finds "x" : true written with whitespace around the colon', () => {
    const spaced = frame('false').replace('"x":false', '"x" :\n\t true');
    expect(classifyFrame(spaced)).toBe('candidate');
    expect(classifyFrame(frame('false').replace('"x":false', '"x" : false'))).toBe('skip');
  });

  it('sends frames with escapes after the x key to the parser, so an escaped marker cannot hide the real x:true', () => {
    const tricky = frame('true', 'AB', ',"z":"\\"x\\":false"');
    expect(JSON.parse(tricky).data.k.x).toBe(true);
    expect(classifyFrame(tricky)).toBe('unknown');
  });

  it('does not take an escaped "x":true inside a string for the field, and leaves escaped frames to the parser', () => {
    const fake = frame('false', 'AB', ',"z":"\\"x\\":true"');
    expect(JSON.parse(fake).data.k.x).toBe(false);
    expect(classifyFrame(fake)).toBe('unknown');
  });

  it('treats a marker-like key nested elsewhere as a candidate (parsing decides), never as a skip', () => {
    const nested = frame('false', 'AB', ',"z":{"x":true}');
    expect(JSON.parse(nested).data.k.x).toBe(false);
    expect(classifyFrame(nested)).toBe('candidate');
  });

  it('never skips a frame where a later unicode-escaped x key wins over the literal one', () => {
    const laterEscaped = frame('false').replace('"x":false', '"x":false,"\\u0078":true');
    expect(JSON.parse(laterEscaped).data.k.x).toBe(true);
    expect(classifyFrame(laterEscaped)).toBe('unknown');
    // JSON keeps the last duplicate key: an earlier escaped key loses, and skip is right.
    const earlierEscaped = frame('false').replace('"x":false', '"\\u0078":true,"x":false');
    expect(JSON.parse(earlierEscaped).data.k.x).toBe(false);
    expect(classifyFrame(earlierEscaped)).toBe('skip');
  });

  it('does not mistake the string value "x" for the key', () => {
    const valueX = frame('false', 'AB', ',"z":"x"');
    expect(classifyFrame(valueX)).toBe('skip');
  });

  it('handles Unicode symbols as UTF-8 bytes', () => {
    const unicode = frame('false', '币安人生USDT');
    expect(classifyFrame(Buffer.from(unicode, 'utf8'))).toBe('skip');
    expect(classifyFrame(Buffer.from(frame('true', '币安人生USDT'), 'utf8'))).toBe('candidate');
  });

  it('leaves frames without an x field (control replies, serverShutdown) to the parser', () => {
    expect(classifyFrame('{"result":null,"id":1}')).toBe('unknown');
    expect(classifyFrame('{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}')).toBe('unknown');
  });

  it('does not crash on truncated or garbage frames and never skips them', () => {
    const full = frame('true');
    for (let cut = 0; cut <= full.length; cut += 7) {
      const part = full.slice(0, cut);
      const kind = classifyFrame(part);
      expect(['candidate', 'unknown']).toContain(kind);
    }
    // Cut right inside the marker: neither true nor false is complete.
    const at = full.indexOf('"x":') + 6;
    expect(classifyFrame(full.slice(0, at))).toBe('unknown');
    expect(classifyFrame(Buffer.from([0xff, 0xfe, 0x22, 0x78, 0x22]))).toBe('unknown');
    expect(classifyFrame('')).toBe('unknown');
  });

  it('handles the marker at the very end of the buffer', () => {
    expect(classifyFrame('"x":true')).toBe('candidate');
    expect(classifyFrame('"x":false')).toBe('skip');
    expect(classifyFrame('"x":')).toBe('unknown');
    expect(classifyFrame('"x"')).toBe('unknown');
  });

  it('agrees with JSON.parse on every closing decision over many generated frames', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 2000; i++) {
      const closing = rnd() < 0.3;
      const sp = (): string => [' ', '', '\n', '\t'][Math.floor(rnd() * 4)];
      const text = frame(closing ? 'true' : 'false', `S${i}`).replace(/"x":(true|false)/, `"x"${sp()}:${sp()}$1`);
      const kind = classifyFrame(text);
      if (closing) expect(kind).toBe('candidate');
      else expect(kind).toBe('skip');
    }
  });
});
