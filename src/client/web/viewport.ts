/**
 * Keeps the page exactly as high as the part of the screen the user can see.
 * `100dvh` (styles.css) follows a phone browser's bars; where the on-screen
 * keyboard shrinks only the visual viewport (iOS Safari, Chrome without
 * `interactive-widget=resizes-content`), its height is set here, so the composer
 * sits right above the keyboard instead of under it.
 */
export function followVisualViewport(): void {
  const viewport = window.visualViewport;
  if (viewport === null || viewport === undefined) return;
  const fit = () => {
    document.documentElement.style.setProperty('--visible-height', `${Math.round(viewport.height)}px`);
    // A browser that scrolled the page to show the focused field: the page itself never scrolls.
    if (window.scrollY !== 0) window.scrollTo(0, 0);
  };
  viewport.addEventListener('resize', fit);
  fit();
}
