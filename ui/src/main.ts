import { mount } from 'svelte';
import App from './App.svelte';
// Fonts bundled into the app (SIL Open Font License) and served from 'self' only: an
// air-gapped laptop may have no font for Uyghur's Arabic script or for Chinese. Each font is
// split by Unicode range, so only the slices a screen uses are loaded.
import '@fontsource-variable/noto-sans/wght.css';
import '@fontsource-variable/noto-sans-arabic/wght.css';
import '@fontsource-variable/noto-sans-sc/wght.css';
import '@fontsource-variable/noto-sans-mono/wght.css';
import './app.css';

const target = document.getElementById('app');
if (target) mount(App, { target });
