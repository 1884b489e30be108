import { describe, expect, it } from 'vitest';
import {
  chiSquareSf,
  erf,
  erfc,
  logGamma,
  normalCdf,
  normalQuantile,
  normalSf,
  regularizedGammaP,
  regularizedGammaQ,
} from '../../../src/monitor/stats/index.js';
import { evenDofChiSquareSf, parkMiller, relativeError, simpsonNormalCdf } from './reference.js';

describe('logGamma', () => {
  it('matches known values', () => {
    // Γ(1) = Γ(2) = 1, Γ(3) = 2, Γ(5) = 4! = 24, Γ(½) = √π.
    expect(logGamma(1)).toBeCloseTo(0, 14);
    expect(logGamma(2)).toBeCloseTo(0, 14);
    expect(logGamma(3)).toBeCloseTo(Math.log(2), 14);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 14);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
  });

  it('matches scipy.special.gammaln', () => {
    // scipy.special.gammaln(x), SciPy 1.17.1
    const cases = [
      [1.5, -0.12078223763524526],
      [7.5, 7.534364236758734],
      [10, 12.801827480081469],
      [100.5, 361.43554046777757],
      [1e-8, 18.42068073818021],
      [1234.5, 7550.550901077894],
    ] as const;
    for (const [x, expected] of cases) expect(relativeError(logGamma(x), expected)).toBeLessThan(1e-13);
  });

  it('agrees with ln((n − 1)!) summed term by term for n = 1..170', () => {
    let logFactorial = 0;
    for (let n = 1; n <= 170; n++) {
      if (n > 1) logFactorial += Math.log(n - 1);
      expect(Math.abs(logGamma(n) - logFactorial)).toBeLessThan(1e-12 * Math.max(1, logFactorial));
    }
  });

  it('is NaN outside its domain', () => {
    expect(logGamma(0)).toBeNaN();
    expect(logGamma(-1.5)).toBeNaN();
    expect(logGamma(Number.NaN)).toBeNaN();
    expect(logGamma(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('regularized incomplete gamma', () => {
  it('reduces to the exponential distribution for a = 1', () => {
    // P(1, x) = 1 − e^(−x)
    for (const x of [0.01, 0.5, 1, 2, 10, 40])
      expect(relativeError(regularizedGammaQ(1, x), Math.exp(-x))).toBeLessThan(1e-13);
    expect(regularizedGammaP(1, 1)).toBeCloseTo(1 - 1 / Math.E, 14);
  });

  it('matches scipy.special.gammainc / gammaincc', () => {
    // [a, x, scipy.special.gammainc(a, x), scipy.special.gammaincc(a, x)], SciPy 1.17.1
    const cases = [
      [0.5, 0.1, 0.34527915398142317, 0.6547208460185768],
      [2.5, 3, 0.6937810815867212, 0.30621891841327875],
      [10, 5, 0.03182805730620481, 0.9681719426937951],
      [10, 20, 0.9950045876916924, 0.0049954123083075785],
      [100, 90, 0.15822098918643007, 0.84177901081357],
      [100, 130, 0.9972495916326934, 0.002750408367306518],
      [0.5, 30, 0.9999999999999906, 9.485737571073857e-15],
    ] as const;
    for (const [a, x, p, q] of cases) {
      expect(relativeError(regularizedGammaP(a, x), p)).toBeLessThan(1e-12);
      expect(relativeError(regularizedGammaQ(a, x), q)).toBeLessThan(1e-12);
    }
  });

  it('handles the ends of the domain', () => {
    expect(regularizedGammaP(3, 0)).toBe(0);
    expect(regularizedGammaQ(3, 0)).toBe(1);
    expect(regularizedGammaP(3, Number.POSITIVE_INFINITY)).toBe(1);
    expect(regularizedGammaQ(3, Number.POSITIVE_INFINITY)).toBe(0);
    expect(regularizedGammaP(0, 1)).toBeNaN();
    expect(regularizedGammaQ(1, -1)).toBeNaN();
  });
});

describe('chiSquareSf', () => {
  it('is e^(−x/2) for two degrees of freedom', () => {
    // P(χ²₂ >= 3.75) = e^(−1.875) = 0.15335496684492844
    expect(chiSquareSf(3.75, 2)).toBeCloseTo(Math.exp(-1.875), 14);
  });

  it('matches scipy.stats.chi2.sf, tails included', () => {
    // [x, dof, scipy.stats.chi2.sf(x, dof)], SciPy 1.17.1
    const cases = [
      [3.84, 1, 0.05004352124870519],
      [10, 3, 0.01856613546304325],
      [100, 50, 3.454931382984871e-5],
      [0.5, 7, 0.9994464813904249],
      [300, 10, 1.5546747543803087e-58],
      [1e-3, 4, 0.9999998750416589],
    ] as const;
    for (const [x, dof, expected] of cases)
      expect(relativeError(chiSquareSf(x, dof), expected)).toBeLessThan(1e-11);
  });

  it('agrees with the closed form for even dof on random points', () => {
    const points = parkMiller(41, 200);
    for (let i = 0; i < 100; i++) {
      const dof = 2 * (1 + Math.floor(points[2 * i]! * 20));
      const x = points[2 * i + 1]! * 4 * dof;
      expect(relativeError(chiSquareSf(x, dof), evenDofChiSquareSf(x, dof))).toBeLessThan(1e-11);
    }
  });

  it('is 1 at or below 0 and 0 at infinity; NaN without degrees of freedom', () => {
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(-2, 3)).toBe(1);
    expect(chiSquareSf(Number.POSITIVE_INFINITY, 3)).toBe(0);
    expect(chiSquareSf(1, 0)).toBeNaN();
  });
});

describe('erf and erfc', () => {
  it('matches scipy.special.erf / erfc with relative precision in the tail', () => {
    // [x, scipy.special.erf(x), scipy.special.erfc(x)], SciPy 1.17.1
    const cases = [
      [-3, -0.9999779095030014, 1.9999779095030015],
      [-0.5, -0.5204998778130465, 1.5204998778130465],
      [0.1, 0.1124629160182849, 0.8875370839817152],
      [0.5, 0.5204998778130465, 0.4795001221869535],
      [1, 0.8427007929497148, 0.15729920705028516],
      [2, 0.9953222650189527, 0.004677734981047266],
      [5, 0.9999999999984626, 1.5374597944280347e-12],
      [10, 1, 2.0884875837625446e-45],
      [26, 1, 5.663192408856145e-296],
    ] as const;
    for (const [x, e, ec] of cases) {
      expect(relativeError(erf(x), e)).toBeLessThan(1e-14);
      expect(relativeError(erfc(x), ec)).toBeLessThan(1e-12);
    }
  });

  it('is odd, and erf(0) = 0', () => {
    expect(erf(0)).toBe(0);
    expect(erfc(0)).toBe(1);
    for (const x of [0.3, 1.7, 4]) expect(erf(-x)).toBe(-erf(x));
  });
});

describe('normal distribution', () => {
  it('has Φ(0) = ½ and agrees with Simpson integration of the density', () => {
    expect(normalCdf(0)).toBe(0.5);
    for (const z of [-3.5, -1, -0.2, 0.7, 1.96, 4])
      expect(Math.abs(normalCdf(z) - simpsonNormalCdf(z))).toBeLessThan(1e-13);
  });

  it('matches scipy.stats.norm.cdf / sf in both tails', () => {
    // [z, scipy.stats.norm.cdf(z), scipy.stats.norm.sf(z)], SciPy 1.17.1
    const cases = [
      [-8, 6.22096057427174e-16, 0.9999999999999993],
      [-2, 0.022750131948179195, 0.9772498680518208],
      [1.96, 0.9750021048517795, 0.024997895148220435],
      [6, 0.9999999990134123, 9.865876450376946e-10],
    ] as const;
    for (const [z, cdf, sf] of cases) {
      expect(relativeError(normalCdf(z), cdf)).toBeLessThan(1e-13);
      expect(relativeError(normalSf(z), sf)).toBeLessThan(1e-13);
    }
  });

  it('inverts with normalQuantile (scipy.stats.norm.ppf)', () => {
    // [p, scipy.stats.norm.ppf(p)], SciPy 1.17.1
    const cases = [
      [1e-300, -37.0470962993612],
      [1e-10, -6.361340902404056],
      [0.025, -1.9599639845400545],
      [0.3, -0.5244005127080409],
      [0.975, 1.959963984540054],
      [0.999999, 4.753424308817087],
    ] as const;
    for (const [p, expected] of cases) expect(relativeError(normalQuantile(p), expected)).toBeLessThan(1e-13);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});
