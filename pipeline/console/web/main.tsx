import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { api } from './client';
import { Overview } from './overview';
import { RolloutPage } from './rollout-page';

/** Hash routes: `#/` the overview, `#/rollouts/<id>` one rollout. */
function App() {
  const [hash, setHash] = useState(location.hash);
  const [target, setTarget] = useState('');
  useEffect(() => {
    const onHash = () => setHash(location.hash);
    addEventListener('hashchange', onHash);
    void api.info().then((i) => setTarget(i.target));
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const rollout = /^#\/rollouts\/(.+)$/.exec(hash)?.[1];
  return (
    <>
      <header>
        <h1>
          <a href="#/">Rollouts</a>
        </h1>
        <span class="muted small" data-testid="target">
          {target}
        </span>
      </header>
      <main>
        {rollout === undefined ? (
          <Overview />
        ) : (
          <RolloutPage id={decodeURIComponent(rollout)} key={rollout} />
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) {
  // The server's "Loading…" placeholder is not Preact's to diff against: start from an empty root.
  root.textContent = '';
  render(<App />, root);
}
