export { StompDecoder, DEFAULT_LIMITS, unescape, type DecoderLimits, type DecoderOptions } from './decoder.js';
export { encodeFrame, escapeHeaderValue, type EncodeOptions } from './encoder.js';
export { getHeader, headersFromRecord, headersToRecord, escapes, type Frame, type StompVersion } from './frame.js';
export { StompCodecError, type CodecErrorCode } from './errors.js';
export { utf8Decode, utf8Encode, utf8Length, utf8Write } from './utf8.js';
