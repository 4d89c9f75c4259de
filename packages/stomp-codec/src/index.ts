export { StompDecoder, DEFAULT_LIMITS, type DecoderLimits, type DecoderOptions } from './decoder.js';
export { encodeFrame, type EncodeOptions } from './encoder.js';
export { escapeHeaderValue, unescape } from './value-encoding.js';
export { getHeader, headersFromRecord, headersToRecord, escapes, type Frame, type StompVersion } from './frame.js';
export { StompCodecError, type CodecErrorCode } from './errors.js';
export { utf8Decode, utf8Encode, utf8Length, utf8Write } from './utf8.js';
