/** The system's colour scheme, followed live: charts redraw when it changes. */
import { useEffect, useState } from 'preact/hooks';

const query = () => window.matchMedia('(prefers-color-scheme: dark)');

export function useColorScheme(): 'light' | 'dark' {
  const [dark, setDark] = useState(() => query().matches);
  useEffect(() => {
    const q = query();
    const onChange = (e: MediaQueryListEvent) => setDark(e.matches);
    q.addEventListener('change', onChange);
    return () => q.removeEventListener('change', onChange);
  }, []);
  return dark ? 'dark' : 'light';
}

/** A colour, or the value of a CSS custom property when given its name (`--c1`). */
export function resolveColor(color: string, fallback = '#888'): string {
  if (!color.startsWith('--')) return color;
  return getComputedStyle(document.documentElement).getPropertyValue(color).trim() || fallback;
}
