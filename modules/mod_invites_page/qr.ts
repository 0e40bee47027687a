/**
 * The invite as a QR code, drawn on the server as inline SVG so that it shows without
 * JavaScript and needs no image request. It holds the xmpp: URI: that is what a phone's
 * chat app scans to accept the invite.
 */
import QRCode from 'qrcode';

export async function qrSvg(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  // Our own markup; add an accessible name and let CSS size it.
  return svg.replace('<svg ', '<svg role="img" aria-label="QR code of this invite" ');
}
