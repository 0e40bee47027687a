/**
 * The built-in app list, used when `site_apps` is not set. Prosody's list (same ids, texts
 * and links), chosen so that Android, iOS, Linux, Windows and macOS each have at least one
 * app. Store badges are plain text buttons: the page loads nothing from other sites.
 */
import type { AppSpec } from './types.js';

const playStore = (id: string) => `https://play.google.com/store/apps/details?id=${id}`;

export const BUILT_IN_APPS: readonly AppSpec[] = [
  {
    name: 'Conversations',
    text: 'Conversations is a Jabber/XMPP client for Android 6.0+ smartphones that has been optimized to provide a unique mobile experience.',
    image: 'assets/logos/conversations.svg',
    link: playStore('eu.siacs.conversations'),
    platforms: ['Android'],
    supports_preauth_uri: true,
    magic_link_format: '{app.link!}&referrer={invite.uri}',
    download: {
      buttons: [
        { text: 'Get it on Google Play', url: playStore('eu.siacs.conversations') },
        { text: 'Get it on F-Droid', url: 'https://f-droid.org/packages/eu.siacs.conversations/' },
      ],
    },
  },
  {
    name: 'yaxim',
    text: 'A lean Jabber/XMPP client for Android. It aims at usability, low overhead and security, and works on low-end Android devices starting with Android 4.0.',
    image: 'assets/logos/yaxim.svg',
    link: playStore('org.yaxim.androidclient'),
    platforms: ['Android'],
    supports_preauth_uri: true,
    magic_link_format: '{app.link!}&referrer={invite.uri}',
    download: { buttons: [{ text: 'Get it on Google Play', url: playStore('org.yaxim.androidclient') }] },
  },
  {
    name: 'Siskin IM',
    text: 'A lightweight and powerful XMPP client for iPhone and iPad. It provides an easy way to talk and share moments with your friends.',
    image: 'assets/logos/siskin-im.svg',
    link: 'https://apps.apple.com/us/app/siskin-im/id1153516838',
    platforms: ['iOS'],
    supports_preauth_uri: true,
    download: { buttons: [{ text: 'Download on the App Store', url: 'https://apps.apple.com/us/app/siskin-im/id1153516838' }] },
  },
  {
    name: 'Beagle IM',
    text: 'Beagle IM by Tigase, Inc. is a lightweight and powerful XMPP client for macOS.',
    image: 'assets/logos/beagle-im.svg',
    link: 'https://apps.apple.com/us/app/beagle-im/id1445349494',
    platforms: ['macOS'],
    download: { buttons: [{ text: 'Download from the Mac App Store', url: 'https://apps.apple.com/us/app/beagle-im/id1445349494' }] },
    setup: {
      text: "Launch Beagle IM, and select 'Yes' to add a new account. Click the '+' button under the empty account list and then enter your credentials.",
    },
  },
  {
    name: 'Dino',
    text: 'A modern open-source chat client for the desktop. It focuses on providing a clean and reliable Jabber/XMPP experience while having your privacy in mind.',
    image: 'assets/logos/dino.svg',
    link: 'https://dino.im/',
    platforms: ['Linux'],
    download: {
      text: 'Click the button to open the Dino website where you can download and install it on your PC.',
      buttons: [{ text: 'Download Dino for Linux', url: 'https://dino.im/#download' }],
    },
  },
  {
    name: 'Gajim',
    text: 'A fully-featured desktop chat client.',
    image: 'assets/logos/gajim.svg',
    link: 'https://gajim.org/',
    platforms: ['Windows', 'Linux', 'macOS'],
    download: { buttons: [{ text: 'Download Gajim', url: 'https://gajim.org/download/' }] },
  },
  // COMPAT: Prosody lists Monal twice (iOS, then macOS) and drops the second as a duplicate id; one entry covers both.
  {
    name: 'Monal',
    text: 'A modern open-source chat client for iPhone, iPad and Mac. It is easy to use and has a clean user interface.',
    image: 'assets/logos/monal.svg',
    link: 'https://monal-im.org/',
    platforms: ['iOS', 'macOS'],
    supports_preauth_uri: true,
    download: {
      buttons: [
        { text: 'Download on the App Store', url: 'https://apps.apple.com/app/id317711500' },
        { text: 'Download from the Mac App Store', url: 'https://apps.apple.com/app/id1637078500' },
      ],
    },
  },
];
