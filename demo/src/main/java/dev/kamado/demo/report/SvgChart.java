package dev.kamado.demo.report;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Minimal SVG charts in plain Java: line charts (loss curves, CDFs) and overlaid histograms. */
public final class SvgChart {
  /** A named series of points, drawn in {@code color} (any SVG colour). */
  public record Series(String name, String color, double[] x, double[] y) {
    public Series {
      if (x.length != y.length) {
        throw new IllegalArgumentException("series " + name + ": " + x.length + " x values but " + y.length + " y");
      }
    }
  }

  private static final int WIDTH = 720;
  private static final int HEIGHT = 420;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int BOTTOM = 60;

  private SvgChart() {}

  /** A line chart of the series. */
  public static String lines(String title, String xLabel, String yLabel, List<Series> series) {
    double[] xr = range(series.stream().flatMapToDouble(s -> Arrays.stream(s.x())).toArray());
    double[] yr = range(series.stream().flatMapToDouble(s -> Arrays.stream(s.y())).toArray());
    StringBuilder b = frame(title, xLabel, yLabel, xr, yr);
    for (Series s : series) {
      if (s.x().length == 0) {
        continue;
      }
      b.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(s.color()).append("\" points=\"");
      for (int i = 0; i < s.x().length; i++) {
        b.append(fmt(px(s.x()[i], xr))).append(',').append(fmt(py(s.y()[i], yr))).append(' ');
      }
      b.append("\"/>\n");
      if (s.x().length <= 60) {
        for (int i = 0; i < s.x().length; i++) {
          b.append("<circle r=\"3\" fill=\"").append(s.color()).append("\" cx=\"").append(fmt(px(s.x()[i], xr)))
              .append("\" cy=\"").append(fmt(py(s.y()[i], yr))).append("\"/>\n");
        }
      }
    }
    legend(b, series);
    return b.append("</svg>\n").toString();
  }

  /** Overlaid histograms of each series' x values in {@code bins} equal bins (y values are ignored). */
  public static String histogram(String title, String xLabel, List<Series> series, int bins) {
    double[] xr = range(series.stream().flatMapToDouble(s -> Arrays.stream(s.x())).toArray());
    int[][] counts = new int[series.size()][bins];
    int maxCount = 1;
    for (int k = 0; k < series.size(); k++) {
      for (double v : series.get(k).x()) {
        int bin = (int) Math.min(bins - 1, Math.floor((v - xr[0]) / (xr[1] - xr[0]) * bins));
        maxCount = Math.max(maxCount, ++counts[k][Math.max(0, bin)]);
      }
    }
    double[] yr = {0, maxCount};
    StringBuilder b = frame(title, xLabel, "requests", xr, yr);
    double binWidth = (xr[1] - xr[0]) / bins;
    for (int k = 0; k < series.size(); k++) {
      for (int i = 0; i < bins; i++) {
        if (counts[k][i] == 0) {
          continue;
        }
        double x0 = px(xr[0] + i * binWidth, xr);
        double x1 = px(xr[0] + (i + 1) * binWidth, xr);
        double y = py(counts[k][i], yr);
        b.append("<rect fill-opacity=\"0.55\" fill=\"").append(series.get(k).color()).append("\" x=\"")
            .append(fmt(x0)).append("\" y=\"").append(fmt(y)).append("\" width=\"").append(fmt(x1 - x0))
            .append("\" height=\"").append(fmt(py(0, yr) - y)).append("\"/>\n");
      }
    }
    legend(b, series);
    return b.append("</svg>\n").toString();
  }

  /** The empirical CDF of values: x sorted, y = rank / n. */
  public static Series cdf(String name, String color, double[] values) {
    double[] x = values.clone();
    Arrays.sort(x);
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (i + 1) / (double) x.length;
    }
    return new Series(name, color, x, y);
  }

  private static StringBuilder frame(String title, String xLabel, String yLabel, double[] xr, double[] yr) {
    StringBuilder b = new StringBuilder();
    b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
        .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
        .append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
    b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    b.append("<text x=\"").append(WIDTH / 2).append("\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">")
        .append(escape(title)).append("</text>\n");
    int x0 = LEFT;
    int y0 = HEIGHT - BOTTOM;
    b.append("<line x1=\"").append(x0).append("\" y1=\"").append(y0).append("\" x2=\"").append(WIDTH - RIGHT)
        .append("\" y2=\"").append(y0).append("\" stroke=\"black\"/>\n");
    b.append("<line x1=\"").append(x0).append("\" y1=\"").append(TOP).append("\" x2=\"").append(x0)
        .append("\" y2=\"").append(y0).append("\" stroke=\"black\"/>\n");
    for (int i = 0; i <= 5; i++) {
      double xv = xr[0] + (xr[1] - xr[0]) * i / 5;
      double yv = yr[0] + (yr[1] - yr[0]) * i / 5;
      b.append("<text x=\"").append(fmt(px(xv, xr))).append("\" y=\"").append(y0 + 18)
          .append("\" text-anchor=\"middle\">").append(tick(xv)).append("</text>\n");
      b.append("<text x=\"").append(x0 - 6).append("\" y=\"").append(fmt(py(yv, yr) + 4))
          .append("\" text-anchor=\"end\">").append(tick(yv)).append("</text>\n");
      b.append("<line x1=\"").append(x0).append("\" x2=\"").append(WIDTH - RIGHT).append("\" y1=\"")
          .append(fmt(py(yv, yr))).append("\" y2=\"").append(fmt(py(yv, yr)))
          .append("\" stroke=\"#ddd\"/>\n");
    }
    b.append("<text x=\"").append((LEFT + WIDTH - RIGHT) / 2).append("\" y=\"").append(HEIGHT - 18)
        .append("\" text-anchor=\"middle\">").append(escape(xLabel)).append("</text>\n");
    b.append("<text transform=\"translate(16,").append((TOP + y0) / 2).append(") rotate(-90)\" text-anchor=\"middle\">")
        .append(escape(yLabel)).append("</text>\n");
    return b;
  }

  private static void legend(StringBuilder b, List<Series> series) {
    int y = TOP + 8;
    for (Series s : series) {
      b.append("<rect x=\"").append(WIDTH - RIGHT - 220).append("\" y=\"").append(y - 9)
          .append("\" width=\"14\" height=\"10\" fill=\"").append(s.color()).append("\"/>\n");
      b.append("<text x=\"").append(WIDTH - RIGHT - 200).append("\" y=\"").append(y).append("\">")
          .append(escape(s.name())).append("</text>\n");
      y += 18;
    }
  }

  private static double[] range(double[] values) {
    if (values.length == 0) {
      return new double[] {0, 1};
    }
    double lo = Arrays.stream(values).min().getAsDouble();
    double hi = Arrays.stream(values).max().getAsDouble();
    if (lo > 0 && lo < hi * 0.5) {
      lo = 0;
    }
    if (hi == lo) {
      hi = lo + 1;
    }
    return new double[] {lo, hi};
  }

  private static double px(double x, double[] xr) {
    return LEFT + (x - xr[0]) / (xr[1] - xr[0]) * (WIDTH - LEFT - RIGHT);
  }

  private static double py(double y, double[] yr) {
    return HEIGHT - BOTTOM - (y - yr[0]) / (yr[1] - yr[0]) * (HEIGHT - TOP - BOTTOM);
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String tick(double v) {
    double a = Math.abs(v);
    return a >= 100 ? String.format(Locale.ROOT, "%.0f", v)
        : a >= 1 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
