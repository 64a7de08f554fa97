// ws options both ends of a peer link share. Peer frames are binary (frame.ts), and ws only checks
// UTF-8 on text frames and close reasons; decodeFrame validates every byte that becomes a string,
// and a text frame is dropped unread. Skipping ws's check therefore loses nothing, and spares a
// pass over each text frame or close reason an (authenticated) peer might still send.
export const PEER_SOCKET_OPTIONS = {
  skipUTF8Validation: true,
} as const;
